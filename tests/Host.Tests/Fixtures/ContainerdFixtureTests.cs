using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Host.Tests.Fixtures;

/// <summary>The cleanup promises of the containerd and daemon fixtures (root only).</summary>
public sealed class ContainerdFixtureTests
{
    [RootOnlyFact]
    public async Task DisposeAsync_DetachedContainerStillRunning_KillsItsShimAndLeavesNoMounts()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("cleanup", ct);
        await using var registry = await RegistryFixture.StartAsync(ct, dir.Path);
        var image = await TestImages.Busybox(dir.Combine("build"), "x\n").BuildAsync("v1", ct);
        var reference = registry.Reference("test/cleanup", "v1");
        await image.PushAsync(reference, ct);
        var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = dir.Path }, ct);
        var containerd = await ContainerdFixture.StartAsync(
            new ContainerdOptions { WorkDirectory = dir.Path, ProxySnapshotters = new Dictionary<string, string> { ["pluggable"] = daemon.Socket } },
            ct);
        string address = containerd.Address;
        try
        {
            await containerd.CtrAsync(["image", "pull", "--snapshotter", "pluggable", "--plain-http", reference], ct);
            // What a test that fails halfway leaves behind: a running container.
            await containerd.CtrAsync(["run", "-d", "--snapshotter", "pluggable", "--runc-root", containerd.RuncRoot, reference, "left-running", "sleep", "600"], ct);
            Assert.NotEmpty(ShimsServing(address));
            Assert.Contains(MountTable.MountPointsUnder(dir.Path), m => m != dir.Path);
        }
        finally
        {
            await containerd.DisposeAsync();
            await daemon.DisposeAsync();
        }

        Assert.Empty(ShimsServing(address));
        var left = MountTable.MountPointsUnder(dir.Path).Where(m => m != dir.Path).ToList();
        Assert.True(left.Count == 0, "still mounted: " + string.Join(", ", left));
    }

    private static List<int> ShimsServing(string address) =>
        Directory.EnumerateDirectories("/proc")
            .Select(p => (Pid: int.TryParse(Path.GetFileName(p), out var pid) ? pid : 0, Path: p))
            .Where(p => p.Pid > 0 && ReadCommandLine(p.Path) is [var exe, ..] args && exe.Contains("containerd-shim", StringComparison.Ordinal) && args.Contains(address))
            .Select(p => p.Pid)
            .ToList();

    private static string[] ReadCommandLine(string proc)
    {
        try
        {
            return File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
        }
        catch (IOException)
        {
            return [];
        }
    }
}
