using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// A layer the store keeps whose stored zTOC no longer matches its digest (root only: real FUSE mounts): the copy is
/// replaced by the zTOC fetched from the registry again, or, with no registry to ask, the mount fails saying why and the layer stays.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class StoredZtocTests(SociImages images) : BackendTestRoot(images, "stored-ztoc")
{
    /// <summary>Nothing listens here: a fetch from it fails at once.</summary>
    private const string NoRegistry = "127.0.0.1:9/test/layered:soci";

    [RootOnlyTheory]
    [InlineData(false)] // a partial layer: mounted from its stored zTOC, bytes fetched on demand
    [InlineData(true)] // a local layer: mounted from the store's copy
    public async Task MountAsync_StoredZtocCorrupt_FetchesItFromTheRegistryKeepsItAndServes(bool local)
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-" + (local ? "local" : "partial"));
        await MountAndStopAsync(state, new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0 } }, fill: local, ct);
        var (ztocPath, good) = await CorruptStoredZtocAsync(state, ct);

        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), state); // as after a restart
        var again = await RequestAsync(Images.Converted, ct);
        var result = await backend.MountAsync(again, ct);

        Assert.Equal(local ? "true" : "false", result.Labels![SociLabels.MountedFromStore]);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(again.Mountpoint, "data/nested/deeper/file"), ct));
        Assert.Equal(good, await File.ReadAllBytesAsync(ztocPath, ct)); // the registry's copy replaced the bad one
    }

    [RootOnlyFact]
    public async Task MountAsync_LocalLayerServedByAnotherSnapshot_SharesItsTreeAndReadsNoStoredZtoc()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-shared");
        await MountAndStopAsync(state, new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0 } }, fill: true, ct);
        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), state);
        var first = await RequestAsync(Images.Converted, ct);
        Assert.True((await backend.MountAsync(first, ct)).IsMounted);
        var (ztocPath, _) = await CorruptStoredZtocAsync(state, ct);
        var bad = await File.ReadAllBytesAsync(ztocPath, ct);

        // A second snapshot of the layer (another image sharing it): the first one's tree serves it, so the corrupt copy,
        // which a read would have replaced from the reachable registry, is never read.
        var second = await RequestAsync(Images.Converted, ct);
        var result = await backend.MountAsync(second, ct);

        Assert.Equal("true", result.Labels![SociLabels.MountedFromStore]);
        Assert.Equal(1, backend.SharedLayerCount);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(second.Mountpoint, "data/nested/deeper/file"), ct));
        Assert.Equal(bad, await File.ReadAllBytesAsync(ztocPath, ct)); // not read, so neither fetched nor replaced
    }

    [RootOnlyFact]
    public async Task MountAsync_StoredZtocCorruptAndRegistryUnreachable_FailsSayingBothAndKeepsTheLayer()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-unreachable");
        await MountAndStopAsync(state, new SociBackendOptions(), fill: false, ct);
        var (ztocPath, _) = await CorruptStoredZtocAsync(state, ct);

        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), state);
        var offline = await RequestAsync(NoRegistry, ct);
        var error = await Assert.ThrowsAsync<IOException>(() => backend.MountAsync(offline, ct));

        Assert.Contains("stored zTOC", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(ztocPath)); // the store keeps the layer: a later mount with the registry back fetches a good copy
        Assert.True(File.Exists(Path.Combine(LayerFolder(state), "layer.json")));
        Assert.Empty(MountTable.MountPointsUnder(Path.Combine(Root, "snapshots")));
    }

    /// <summary>
    /// Mounts layer 1 of the converted image and reads a file, so the store keeps the zTOC and fetched bytes (with
    /// <paramref name="fill"/>, waits until the layer is local), then stops the backend as a daemon stop does.
    /// </summary>
    private async Task MountAndStopAsync(string state, SociBackendOptions options, bool fill, CancellationToken ct)
    {
        var layer = await RequestAsync(Images.Converted, ct);
        await using var backend = TestBackend.Create(Registry, options, state, fill: fill);
        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "data/nested/deeper/file"), ct));
        var record = Path.Combine(LayerFolder(state), "layer.json");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (fill && !(await File.ReadAllTextAsync(record, ct)).Contains("\"partial\": false", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(100, ct);
    }

    /// <summary>Flips a byte of the stored zTOC; returns its path and its good bytes.</summary>
    private static async Task<(string Path, byte[] Good)> CorruptStoredZtocAsync(string state, CancellationToken ct)
    {
        var path = Path.Combine(LayerFolder(state), "ztoc");
        var good = await File.ReadAllBytesAsync(path, ct);
        var bad = good.ToArray();
        bad[bad.Length / 2] ^= 0x55;
        await File.WriteAllBytesAsync(path, bad, ct);
        return (path, good);
    }

    /// <summary>A Prepare of layer 1 of the converted image, with the image named <paramref name="reference"/> in its labels.</summary>
    private async Task<LayerRequest> RequestAsync(string reference, CancellationToken ct)
    {
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, layerIndex: 1, Root, ct);
        return layer with { Labels = new Dictionary<string, string>(layer.Labels) { [SnapshotLabels.StargzReference] = reference } };
    }

    /// <summary>The store's folder of the layer (there is one: the tests mount a single layer per state).</summary>
    private static string LayerFolder(string state) => StoreStatusFile.LayerFolders(Path.Combine(state, "store")).Single();
}
