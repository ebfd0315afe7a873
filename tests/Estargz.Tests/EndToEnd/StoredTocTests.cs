using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Rootfs;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// An eStargz layer the store keeps whose stored TOC is unusable (root only: real FUSE mounts, the backend in process):
/// the TOC is fetched from the registry again (checked as at a first mount) and kept in place of the bad copy, or, with
/// no registry to ask, the mount fails saying both and the layer stays in the store as it was.
/// </summary>
[Collection(EstargzImagesCollection.Name)]
public sealed class StoredTocTests(EstargzImages images) : IAsyncLifetime
{
    /// <summary>Nothing listens here: a fetch from it fails at once.</summary>
    private const string NoRegistry = "127.0.0.1:9/test/layered:esgz";

    private readonly RegistryClient _registry = new();
    private string _root = "";

    public Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) _root = Directory.CreateDirectory(images.Directory.Combine("stored-toc-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (_root.Length > 0) MountTable.UnmountUnder(_root);
        _registry.Dispose();
        return Task.CompletedTask;
    }

    [RootOnlyTheory]
    [InlineData("flipped")] // a bad disk: one byte differs
    [InlineData("truncated")] // a torn write
    [InlineData("not-json")]
    public async Task MountAsync_StoredTocUnusable_FetchesItFromTheRegistryKeepsItAndServesEveryByte(string corruption)
    {
        var ct = EstargzImages.Timeout;
        var state = Path.Combine(_root, "state");
        var served = await MountFillAndStopAsync(state, ct);
        var (tocPath, good) = await CorruptStoredTocAsync(state, corruption, ct);

        var logger = new EventIdLogger<EstargzFileSystem>();
        await using var backend = EstargzTestBackend.Create(_registry, new EstargzBackendOptions(), state, logger); // as after a restart
        var again = await EstargzLayerRequests.LayerOneAsync(_registry, images.Estargz, images.Estargz, _root, ct);
        var result = await backend.MountAsync(again, ct);

        Assert.True(result.IsMounted);
        Assert.Equal("true", result.Labels![EstargzLabels.MountedFromStore]);
        Assert.Contains(3114, logger.EventIds); // the warning that the stored TOC was fetched again
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(again.Mountpoint, "data/nested/deeper/file"), ct));
        // The tree built from the fetched TOC itself (the mount point shows the local copy bound over it), served over FUSE
        // in an id-mapped view: every entry, mode, owner and byte as the first mount's tree served them.
        Assert.Equal(served, Snapshot(await ViewAsync(backend, again.Mountpoint, ct)));
        Assert.Equal(good, await File.ReadAllBytesAsync(tocPath, ct)); // the registry's copy replaced the bad one
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(tocPath)!, "ztoc*")); // no temporary file left
    }

    [RootOnlyFact]
    public async Task MountAsync_StoredTocCorruptAndRegistryUnreachable_FailsSayingBothAndKeepsTheLayerUntouched()
    {
        var ct = EstargzImages.Timeout;
        var state = Path.Combine(_root, "state-unreachable");
        await MountFillAndStopAsync(state, ct);
        var (tocPath, _) = await CorruptStoredTocAsync(state, "flipped", ct);
        var bad = await File.ReadAllBytesAsync(tocPath, ct);
        var folder = LayerFolder(state);
        var kept = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        await using var backend = EstargzTestBackend.Create(_registry, new EstargzBackendOptions(), state);
        var offline = await EstargzLayerRequests.LayerOneAsync(_registry, images.Estargz, NoRegistry, _root, ct);
        var error = await Assert.ThrowsAsync<IOException>(() => backend.MountAsync(offline, ct));

        Assert.Contains("stored TOC", error.Message, StringComparison.Ordinal);
        Assert.Contains("do not match its digest", error.Message, StringComparison.Ordinal); // the first cause
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal); // the second
        Assert.Equal(bad, await File.ReadAllBytesAsync(tocPath, ct)); // the bad copy stays until a good one replaces it
        Assert.Equal(kept, Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList());
        Assert.Empty(MountTable.MountPointsUnder(Path.Combine(_root, "snapshots")));
    }

    /// <summary>
    /// Mounts layer 1 of the eStargz image, waits until the background fill made it local, records what its tree serves
    /// over FUSE, then stops the backend as a daemon stop does; returns what the tree served.
    /// </summary>
    private async Task<string> MountFillAndStopAsync(string state, CancellationToken ct)
    {
        var layer = await EstargzLayerRequests.LayerOneAsync(_registry, images.Estargz, images.Estargz, _root, ct);
        await using var backend = EstargzTestBackend.Create(_registry, new EstargzBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0 } }, state);
        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!StoreStatusFile.OnlyLayerIsLocal(state) && DateTime.UtcNow < deadline) await Task.Delay(100, ct);
        Assert.True(StoreStatusFile.OnlyLayerIsLocal(state), "the layer did not become local");
        var served = Snapshot(await ViewAsync(backend, layer.Mountpoint, ct));
        Assert.Contains("/data/nested/deeper/file", served, StringComparison.Ordinal);
        return served;
    }

    /// <summary>An id-mapped view (identity) of the layer served at <paramref name="mountpoint"/>: its tree over FUSE, whatever is bound on the mount point.</summary>
    private static Task<string> ViewAsync(EstargzFileSystem backend, string mountpoint, CancellationToken ct) =>
        backend.IdMapMountAsync(mountpoint, "view", new IdMap([new IdMapping(0, 0, 65536)], [new IdMapping(0, 0, 65536)]), ct);

    /// <summary>Damages the stored TOC as <paramref name="corruption"/> says; returns its path and its good bytes.</summary>
    private static async Task<(string Path, byte[] Good)> CorruptStoredTocAsync(string state, string corruption, CancellationToken ct)
    {
        var path = Path.Combine(LayerFolder(state), "ztoc"); // the store's name for every format's index file
        var good = await File.ReadAllBytesAsync(path, ct);
        var bad = corruption switch
        {
            "flipped" => good.Select((b, i) => i == good.Length / 2 ? (byte)(b ^ 0x55) : b).ToArray(),
            "truncated" => good[..(good.Length / 2)],
            _ => "this is not a TOC"u8.ToArray(),
        };
        await File.WriteAllBytesAsync(path, bad, ct);
        return (path, good);
    }

    /// <summary>Every entry under <paramref name="root"/> (type, mode, owner, size, content digest, link target, xattrs) as text.</summary>
    private static string Snapshot(string root) => RootfsListing.Format(RootfsListing.Capture(root));

    /// <summary>The store's folder of the layer (one: each state mounts a single layer).</summary>
    private static string LayerFolder(string state) => StoreStatusFile.LayerFolders(Path.Combine(state, "store")).Single();
}
