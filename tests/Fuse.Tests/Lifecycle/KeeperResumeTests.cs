using System.Diagnostics;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.Fuse.TestServer;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>
/// A mount whose connection a keeper holds outlives its serving process: a new process resumes it, and readers see
/// no error, the right bytes and the same inode numbers (root only; each server is a child process).
/// </summary>
public sealed class KeeperResumeTests
{
    [RootOnlyFact]
    public async Task ServerKilledWhileReading_ResumedServerAnswersEveryRead()
    {
        await using KeeperHarness harness = await KeeperHarness.StartAsync();
        (Process first, string status) = await harness.StartServerAsync(stall: true);
        Assert.Equal("MOUNTED", status);
        IReadOnlyList<(string Path, byte[] Content)> files = KeptTree.Files();
        string[] inodesBefore = await InodesAsync(harness.MountPoint, files);
        // Held across the restart: a file open and a directory listing begun under the first server.
        (string openPath, byte[] openContent) = files[3];
        using FileStream open = File.OpenRead(Path.Combine(harness.MountPoint, openPath));
        byte[] head = new byte[4096];
        open.ReadExactly(head);
        using IEnumerator<string> listing = Directory.EnumerateFileSystemEntries(Path.Combine(harness.MountPoint, "d1")).GetEnumerator();
        Assert.True(listing.MoveNext());
        string firstListed = listing.Current;
        // A READ the first server takes and never answers: only FUSE_NOTIFY_RESEND brings it to the next one.
        Task<byte[]> stalled = Task.Run(() => File.ReadAllBytes(Path.Combine(harness.MountPoint, KeptTree.StalledFile)));
        Assert.Equal("STALLED", await first.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        using var readers = new ReaderLoop(harness.MountPoint, files);
        await readers.WaitForReadsAsync(files.Count);

        first.Kill();
        await first.WaitForExitAsync().WaitAsync(Tool.HangLimit);
        await Task.Delay(500); // the gap: callers wait in the kernel, none fails
        Assert.False(stalled.IsCompleted);
        Assert.Empty(readers.Failures);
        (Process second, status) = await harness.StartServerAsync(stall: false);

        Assert.Equal("RESUMED", status);
        Assert.Equal(KeptTree.StalledContent(), await stalled.WaitAsync(Tool.HangLimit));
        await readers.WaitForReadsAsync(files.Count * 2);
        readers.Stop();
        Assert.Empty(readers.Failures);
        Assert.Equal(inodesBefore, await InodesAsync(harness.MountPoint, files));
        byte[] rest = new byte[openContent.Length - head.Length];
        open.ReadExactly(rest);
        Assert.Equal(openContent, head.Concat(rest).ToArray());
        var listed = new List<string> { firstListed };
        while (listing.MoveNext())
        {
            listed.Add(listing.Current);
        }

        Assert.Equal(Enumerable.Range(0, KeptTree.FilesPerDirectory).Select(f => Path.Combine(harness.MountPoint, "d1", $"f{f}.bin")), listed.Order());
        await StopAsync(second);
        Assert.False(FuseMountCleanupProbe.IsMounted(harness.MountPoint));
        Assert.Empty(await harness.Keeper.ListAsync(CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task ServerLeavesToKeeper_NextServerResumesWithoutErrors()
    {
        await using KeeperHarness harness = await KeeperHarness.StartAsync();
        (Process first, string status) = await harness.StartServerAsync(stall: false);
        Assert.Equal("MOUNTED", status);
        IReadOnlyList<(string Path, byte[] Content)> files = KeptTree.Files();
        string[] inodesBefore = await InodesAsync(harness.MountPoint, files);
        using var readers = new ReaderLoop(harness.MountPoint, files);
        await readers.WaitForReadsAsync(files.Count);

        await first.StandardInput.WriteLineAsync("leave");
        await first.StandardInput.FlushAsync();
        Assert.Equal("LEFT", await first.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        await first.WaitForExitAsync().WaitAsync(Tool.HangLimit);
        Assert.True(FuseMountCleanupProbe.IsMounted(harness.MountPoint));
        await Task.Delay(500);
        (Process second, status) = await harness.StartServerAsync(stall: false);

        Assert.Equal("RESUMED", status);
        await readers.WaitForReadsAsync(files.Count * 2);
        readers.Stop();
        Assert.Empty(readers.Failures);
        Assert.Equal(inodesBefore, await InodesAsync(harness.MountPoint, files));
        Assert.Single(await harness.Keeper.ListAsync(CancellationToken.None));
        await StopAsync(second);
        Assert.Empty(await harness.Keeper.ListAsync(CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task ServerKilledAndNotResumed_ReleaseOrphansEndsTheConnection()
    {
        await using KeeperHarness harness = await KeeperHarness.StartAsync();
        (Process first, string status) = await harness.StartServerAsync(stall: false);
        Assert.Equal("MOUNTED", status);

        first.Kill();
        await first.WaitForExitAsync().WaitAsync(Tool.HangLimit);
        IReadOnlyList<KeptConnection> orphans = await harness.Keeper.ReleaseOrphansAsync(CancellationToken.None);

        KeptConnection orphan = Assert.Single(orphans);
        Assert.Equal(harness.MountPoint, orphan.MountPoint);
        Assert.Equal("kept-tree", orphan.Identity);
        Assert.True(FuseMountCleanup.IsDisconnected(harness.MountPoint));
        Assert.Empty(await harness.Keeper.ListAsync(CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task KeptConnectionOfAnotherTree_IsReleasedAndTheTreeMountedAfresh()
    {
        await using KeeperHarness harness = await KeeperHarness.StartAsync();
        (Process first, string status) = await harness.StartServerAsync(stall: false);
        Assert.Equal("MOUNTED", status);
        first.Kill();
        await first.WaitForExitAsync().WaitAsync(Tool.HangLimit);

        (Process second, status) = await harness.StartServerAsync(stall: false, otherTree: true);

        Assert.Equal("MOUNTED", status);
        (string path, byte[] content) = KeptTree.Files()[0];
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(harness.MountPoint, path)));
        KeptConnection kept = Assert.Single(await harness.Keeper.ListAsync(CancellationToken.None));
        Assert.Equal("other-tree", kept.Identity);
        await StopAsync(second);
        Assert.False(FuseMountCleanupProbe.IsMounted(harness.MountPoint));
    }

    [RootOnlyFact]
    public async Task MountAsync_KeptMountServedByThisProcess_RefusesAndLeavesItServing()
    {
        await using KeeperHarness harness = await KeeperHarness.StartAsync();
        var options = new FuseMountOptions { FsName = "kept-tree", Keeper = harness.Keeper };
        await using FuseMount mount = await FuseMount.MountAsync(harness.MountPoint, KeptTree.Build(null), options, null, CancellationToken.None);
        Assert.True(mount.IsKept);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            FuseMount.MountAsync(harness.MountPoint, KeptTree.Build(null), options, null, CancellationToken.None));

        (string path, byte[] content) = KeptTree.Files()[5];
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(harness.MountPoint, path)));
        Assert.Single(await harness.Keeper.ListAsync(CancellationToken.None));
        await mount.UnmountAsync(UnmountMode.Normal, CancellationToken.None);
        Assert.Empty(await harness.Keeper.ListAsync(CancellationToken.None));
    }

    private static async Task<string[]> InodesAsync(string root, IEnumerable<(string Path, byte[] Content)> files)
    {
        string output = await Tool.CheckedAsync("stat", ["-c", "%i", "--", .. files.Select(file => Path.Combine(root, file.Path)), Path.Combine(root, "d1"), Path.Combine(root, "link")]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task StopAsync(Process server)
    {
        server.StandardInput.Close();
        await server.WaitForExitAsync().WaitAsync(Tool.HangLimit);
        Assert.Equal(0, server.ExitCode);
    }
}
