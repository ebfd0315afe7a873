using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Rootfs;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// The local layer store and background fill through containerd (root only): a lazily started image becomes local, then
/// serves every file with the registry stopped, across a kill -9 of the daemon, and its store is freed with the image.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class LocalStoreEndToEndTests(SociImages images)
{
    private const string FillAtOnce = "{ background_fill: { delay_ms: 0 } }";

    [RootOnlyFact]
    public async Task Fill_AfterLazyStart_ImageServesEveryFileWithTheRegistryStoppedAndAfterKill9()
    {
        var ct = SociImages.Timeout;
        await using var node = await SociNode.StartAsync(images.Directory.Combine("fill"), ct, FillAtOnce);
        await node.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", images.Original], ct);
        var theirs = await node.ListRootfsAsync("overlayfs", ct);
        var layers = await LayerDigestsAsync(images.Converted, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        await node.WaitForLocalAsync(layers, ct);

        Assert.Equal(layers.Count, node.FuseMounts("soci").Count); // the FUSE mounts stay, for containers started on them
        await images.Registry.StopAsync();
        try
        {
            AssertSame(theirs, await node.ListRootfsAsync(SociNode.Snapshotter, ct));
            Assert.Equal("deep\n", await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["cat", "/data/nested/deeper/file"], ct));

            await node.Daemon.CrashAndRestartAsync(ct);
            await node.WaitForProxyAsync(ct);

            Assert.True(node.Daemon.IsRunning, node.Describe());
            AssertSame(theirs, await node.ListRootfsAsync(SociNode.Snapshotter, ct));
            Assert.Equal("deep\n", await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["cat", "/data/nested/deeper/file"], ct));
            Assert.All(layers, l => Assert.Equal("local", node.StoreStatus()![l]));
        }
        finally
        {
            await images.Registry.StartAgainAsync(ct);
        }
    }

    [RootOnlyFact]
    public async Task ReadEverything_WhileTheFillRuns_ReturnsTheRightBytesAndTheFillCompletes()
    {
        var ct = SociImages.Timeout;
        // A slow fill (64 KiB/s, 64 KiB requests), so that the reads below run while it is under way.
        await using var node = await SociNode.StartAsync(images.Directory.Combine("mid-fill"), ct,
            "{ background_fill: { delay_ms: 0, chunk_bytes: 65536, max_bytes_per_second: 65536 } }");
        await node.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", images.Original], ct);
        var theirs = await node.ListRootfsAsync("overlayfs", ct);
        var layers = await LayerDigestsAsync(images.Converted, ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);

        var during = await node.ListRootfsAsync(SociNode.Snapshotter, ct);
        var statesDuring = node.StoreStatus();
        await node.WaitForLocalAsync(layers, ct);

        AssertSame(theirs, during);
        Assert.True(statesDuring is null || statesDuring.Values.Any(s => s != "local"), "the fill finished before the reads: the test did not read mid-fill");
        AssertSame(theirs, await node.ListRootfsAsync(SociNode.Snapshotter, ct));
    }

    [RootOnlyFact]
    public async Task RemoveImage_AfterFill_FreesItsLayersFromTheStore()
    {
        var ct = SociImages.Timeout;
        await using var node = await SociNode.StartAsync(images.Directory.Combine("free"), ct, FillAtOnce);
        var layers = await LayerDigestsAsync(images.Converted, ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        await node.WaitForLocalAsync(layers, ct);
        Assert.Equal(layers.Count, StoreStatusFile.LayerFolders(node.StoreDirectory).Count);

        await node.Containerd.CtrAsync(["image", "rm", "--sync", images.Converted], ct);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (System.IO.Directory.EnumerateFileSystemEntries(node.StoreDirectory).Any() && DateTime.UtcNow < deadline) await Task.Delay(100, ct);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(node.StoreDirectory));
        Assert.Empty(node.StoreStatus()!);
        Assert.Empty(node.FuseMounts("soci"));
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(Path.Combine(node.Daemon.Root, "snapshots")));
    }

    private static void AssertSame(IReadOnlyList<RootfsEntry> expected, IReadOnlyList<RootfsEntry> actual)
    {
        var differences = RootfsListing.Compare(expected, actual);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
    }

    private static async Task<List<string>> LayerDigestsAsync(string image, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        return [.. (await registry.ResolveAsync(ImageReference.Parse(image), null, ct)).Manifest.Layers.Select(l => l.Digest)];
    }
}
