using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// A layer the store keeps whose stored zTOC no longer matches its digest (root only: real FUSE mounts): the copy is
/// forgotten and the zTOC fetched from the registry again, or, with no registry to ask, the mount fails saying why.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class StoredZtocTests(SociImages images) : IAsyncLifetime
{
    /// <summary>Nothing listens here: a fetch from it fails at once.</summary>
    private const string NoRegistry = "127.0.0.1:9/test/layered:soci";

    private readonly RegistryClient _registry = new();
    private string _root = "";

    public Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) _root = Directory.CreateDirectory(images.Directory.Combine("stored-ztoc-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (_root.Length > 0) MountTable.UnmountUnder(_root);
        _registry.Dispose();
        return Task.CompletedTask;
    }

    [RootOnlyFact]
    public async Task MountAsync_StoredZtocOfAPartialLayerCorrupt_FetchesItFromTheRegistryKeepsItAndServes()
    {
        var ct = SociImages.Timeout;
        var (state, layer) = await KeepPartialLayerAsync("fetched", ct);
        var ztocPath = ZtocPath(state, layer);
        var good = await File.ReadAllBytesAsync(ztocPath, ct);
        await File.WriteAllBytesAsync(ztocPath, Corrupted(good), ct);

        await using var backend = TestBackend.Create(_registry, new SociBackendOptions(), state);
        var again = await RequestAsync(images.Converted, ct);
        var result = await backend.MountAsync(again, ct);

        Assert.True(result.IsMounted);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(again.Mountpoint, "data/nested/deeper/file"), ct));
        Assert.Equal(good, await File.ReadAllBytesAsync(ztocPath, ct)); // the registry's copy replaced the bad one
    }

    [RootOnlyFact]
    public async Task MountAsync_StoredZtocCorruptAndRegistryUnreachable_FailsSayingBothAndForgetsTheCopy()
    {
        var ct = SociImages.Timeout;
        var (state, layer) = await KeepPartialLayerAsync("unreachable", ct);
        var ztocPath = ZtocPath(state, layer);
        await File.WriteAllBytesAsync(ztocPath, Corrupted(await File.ReadAllBytesAsync(ztocPath, ct)), ct);

        await using var backend = TestBackend.Create(_registry, new SociBackendOptions(), state);
        var offline = await RequestAsync(images.Converted, ct);
        offline = offline with { Labels = new Dictionary<string, string>(offline.Labels) { [SnapshotLabels.StargzReference] = NoRegistry } };
        var error = await Assert.ThrowsAsync<IOException>(() => backend.MountAsync(offline, ct));

        Assert.Contains("stored zTOC", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ztocPath)); // never read again
        Assert.Empty(MountTable.MountPointsUnder(offline.Mountpoint));
    }

    [RootOnlyFact]
    public async Task MountAsync_StoredZtocOfALocalLayerCorrupt_FetchesItAndServesFromTheStore()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(_root, "state-local");
        var layer = await RequestAsync(images.Converted, ct);
        var record = Path.Combine(state, "store", layer.LayerDigest!.Replace(':', '-'), "layer.json");
        await using (var before = TestBackend.Create(_registry, new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0 } }, state, fill: true))
        {
            Assert.True((await before.MountAsync(layer, ct)).IsMounted);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(File.Exists(record) && (await File.ReadAllTextAsync(record, ct)).Contains("\"partial\": false", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                await Task.Delay(100, ct);
        }
        var ztocPath = ZtocPath(state, layer);
        var good = await File.ReadAllBytesAsync(ztocPath, ct);
        await File.WriteAllBytesAsync(ztocPath, Corrupted(good), ct);

        await using var backend = TestBackend.Create(_registry, new SociBackendOptions(), state);
        var again = await RequestAsync(images.Converted, ct);
        var result = await backend.MountAsync(again, ct);

        Assert.Equal("true", result.Labels![SociLabels.MountedFromStore]);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(again.Mountpoint, "data/nested/deeper/file"), ct));
        Assert.Equal(good, await File.ReadAllBytesAsync(ztocPath, ct));
    }

    /// <summary>Mounts layer 1 of the converted image, reads a file (so the store keeps fetched bytes and the zTOC) and stops the backend.</summary>
    private async Task<(string State, LayerRequest Layer)> KeepPartialLayerAsync(string name, CancellationToken ct)
    {
        var state = Path.Combine(_root, "state-" + name);
        var layer = await RequestAsync(images.Converted, ct);
        await using (var before = TestBackend.Create(_registry, new SociBackendOptions(), state))
        {
            Assert.True((await before.MountAsync(layer, ct)).IsMounted);
            Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "data/nested/deeper/file"), ct));
        }
        return (state, layer);
    }

    private static string ZtocPath(string state, LayerRequest layer) =>
        Path.Combine(state, "store", layer.LayerDigest!.Replace(':', '-'), "ztoc");

    private static byte[] Corrupted(byte[] bytes)
    {
        var bad = bytes.ToArray();
        bad[bad.Length / 2] ^= 0x55;
        return bad;
    }

    private Task<LayerRequest> RequestAsync(string image, CancellationToken ct) => LayerRequests.CreateAsync(_registry, image, layerIndex: 1, _root, ct);
}
