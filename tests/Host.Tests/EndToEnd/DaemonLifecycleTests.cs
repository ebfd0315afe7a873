using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>Starting, refusing to start and restarting the published daemon (root only).</summary>
public sealed class DaemonLifecycleTests
{
    [RootOnlyFact]
    public async Task Start_PluginsYamlWithTwoErrors_ExitsAndNamesBothLines()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("badconfig", ct);
        const string config = """
            plugins: []
            chains:
              - name: only
                backends: [missing-backend]
            bogus_key: 1
            """;

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = dir.Path, PluginsYaml = config }, ct));

        // The message carries the daemon's output: every error, each with its line.
        Assert.Contains("missing-backend", error.Message, StringComparison.Ordinal);
        Assert.Contains("bogus_key", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 5", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "psnap.sock")) && await PluggableSnapshotter.TestSupport.Processes.UnixSocketProbe.AcceptsAsync(Path.Combine(dir.Path, "psnap.sock"), ct));
    }

    [RootOnlyFact]
    public async Task Restart_AfterPull_ContainerStillRunsFromTheSameSnapshots()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("restart", ct);
        await using var registry = await RegistryFixture.StartAsync(ct, dir.Path);
        var image = await TestImages.Busybox(dir.Combine("build"), "survives a restart\n").BuildAsync("v1", ct);
        var reference = registry.Reference("test/restart", "v1");
        await image.PushAsync(reference, ct);
        await using var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = dir.Path }, ct);
        await using var containerd = await ContainerdFixture.StartAsync(
            new ContainerdOptions { WorkDirectory = dir.Path, ProxySnapshotters = new Dictionary<string, string> { ["pluggable"] = daemon.Socket } },
            ct);
        await containerd.CtrAsync(["image", "pull", "--snapshotter", "pluggable", "--plain-http", reference], ct);
        var before = (await containerd.CtrAsync(["snapshots", "--snapshotter", "pluggable", "ls"], ct)).StandardOutput;

        await daemon.RestartAsync(ct);

        // containerd's connection to the proxy broke with the old daemon; its gRPC client redials with backoff.
        await containerd.WaitForSnapshotterAsync("pluggable", ct);
        var listing = await containerd.CtrAsync(["snapshots", "--snapshotter", "pluggable", "ls"], ct);
        var after = listing.StandardOutput;
        Assert.Equal(before, after);
        var output = await containerd.RunContainerAsync(reference, "pluggable", ["cat", TestImages.MessagePath], ct);
        Assert.Equal("survives a restart\n", output);
    }
}
