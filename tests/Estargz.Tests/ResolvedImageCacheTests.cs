using System.Text;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>Resolved images kept per image for the catalog's expiry, against a loopback docker-registry (root only: its storage is a tmpfs).</summary>
public sealed class ResolvedImageCacheTests : IAsyncLifetime
{
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private RegistryClient? _client;

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        _directory = await TmpfsDirectory.CreateAsync("resolved-images", CancellationToken.None);
        _registry = await RegistryFixture.StartAsync(CancellationToken.None, _directory.Path);
        _client = new RegistryClient();
    }

    [RootOnlyFact]
    public async Task ResolveAsync_TagMoved_SameImageWithinTheExpiryTheNewOneAfter()
    {
        var reference = ImageReference.Parse(_registry!.Reference("test/moving", "v1"));
        var first = await PushImageAsync(reference, "first layer");
        var clock = new ManualClock();
        var cache = new ResolvedImageCache(_client!, clock);
        var layer = new LayerRequest
        {
            Mountpoint = "/m",
            Key = "k",
            Namespace = "default",
            Labels = new Dictionary<string, string> { [SnapshotLabels.CriImageRef] = reference.ToString() },
        };
        Assert.Equal(first, (await cache.ResolveAsync(layer, CancellationToken.None)).ManifestDescriptor.Digest);
        var second = await PushImageAsync(reference, "second layer"); // the tag moves

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(first, (await cache.ResolveAsync(layer, CancellationToken.None)).ManifestDescriptor.Digest);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(second, (await cache.ResolveAsync(layer, CancellationToken.None)).ManifestDescriptor.Digest);

        var third = await PushImageAsync(reference, "third layer");
        cache.Forget(second); // containerd cleaned the image: resolved again at once
        Assert.Equal(third, (await cache.ResolveAsync(layer, CancellationToken.None)).ManifestDescriptor.Digest);
    }

    private async Task<string> PushImageAsync(ImageReference reference, string content)
    {
        var json = ManifestJson(await PushBlobsAsync(reference, content));
        return (await _client!.PushManifestAsync(reference, MediaTypes.OciManifest, Encoding.UTF8.GetBytes(json), CancellationToken.None)).Digest;
    }

    private async Task<(Descriptor Config, Descriptor Layer)> PushBlobsAsync(ImageReference reference, string content)
    {
        var layer = await _client!.PushBlobAsync(reference, Encoding.UTF8.GetBytes(content), MediaTypes.OciLayerGzip, CancellationToken.None);
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer.Digest + "\"]}}");
        return (await _client.PushBlobAsync(reference, config, MediaTypes.OciConfig, CancellationToken.None), layer);
    }

    private static string ManifestJson((Descriptor Config, Descriptor Layer) blobs) =>
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OciManifest + "\"," +
        "\"config\":{\"mediaType\":\"" + MediaTypes.OciConfig + "\",\"digest\":\"" + blobs.Config.Digest + "\",\"size\":" + blobs.Config.Size + "}," +
        "\"layers\":[{\"mediaType\":\"" + MediaTypes.OciLayerGzip + "\",\"digest\":\"" + blobs.Layer.Digest + "\",\"size\":" + blobs.Layer.Size + "}]}";

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
