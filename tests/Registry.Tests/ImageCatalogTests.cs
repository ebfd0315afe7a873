using System.Text;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>The image catalog against a real docker-registry on loopback.</summary>
public sealed class ImageCatalogTests : IAsyncLifetime
{
    private static readonly Platform Arm64 = new() { Os = "linux", Architecture = "arm64", Variant = "v8" };
    private RegistryFixture _server = null!;
    private readonly RegistryClient _client = new();
    private readonly ManualClock _clock = new();

    public async Task InitializeAsync() => _server = await RegistryFixture.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetAsync_MultiPlatformIndexWithSociArtifact_PairsThePlatformsLayersWithDiffIds()
    {
        var (indexDescriptor, _, arm64) = await PushMultiPlatformAsync("multi:latest");
        var catalog = new ImageCatalog(_client, new ImageCatalogOptions { Platform = Arm64 });

        var image = await catalog.GetAsync(Ref("multi:latest"), null, CancellationToken.None);

        Assert.Equal(arm64.Manifest.Digest, image.ManifestDigest);
        Assert.Equal(indexDescriptor.Digest, image.Index?.Digest);
        Assert.Equal("arm64", image.Config.Architecture);
        var layer = Assert.Single(image.Layers);
        Assert.Equal(arm64.Layer.Digest, layer.Descriptor.Digest);
        Assert.Equal(OciDigest.Compute(arm64.Bytes).ToString(), layer.DiffId);
        Assert.Same(layer, image.FindLayer(arm64.Layer.Digest));
        Assert.Equal(arm64.Manifest.Digest, image.Pinned.Digest?.ToString());
    }

    [Fact]
    public async Task GetAsync_ManifestDigestLabel_PinsTheManifestOverTheTag()
    {
        var (first, _) = await TestImages.PushAsync(_client, Ref("pinned:v1"), TestImages.RandomBytes(100, 20));
        await TestImages.PushAsync(_client, Ref("pinned:v1"), TestImages.RandomBytes(100, 21)); // the tag moves on
        var catalog = new ImageCatalog(_client);

        var image = await catalog.GetAsync(Ref("pinned:v1"), first.Digest, CancellationToken.None);

        Assert.Equal(first.Digest, image.ManifestDigest);
    }

    [Fact]
    public async Task GetAsync_WithinExpiry_KeepsTheResolvedImageAndAfterItResolvesAgain()
    {
        var catalog = new ImageCatalog(_client, new ImageCatalogOptions { Expiry = TimeSpan.FromMinutes(5) }, _clock);
        var (first, _) = await TestImages.PushAsync(_client, Ref("moving:v1"), TestImages.RandomBytes(100, 30));
        var kept = await catalog.GetAsync(Ref("moving:v1"), null, CancellationToken.None);
        var (second, _) = await TestImages.PushAsync(_client, Ref("moving:v1"), TestImages.RandomBytes(100, 31));

        _clock.Advance(TimeSpan.FromMinutes(4));
        var cached = await catalog.GetAsync(Ref("moving:v1"), null, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var fresh = await catalog.GetAsync(Ref("moving:v1"), null, CancellationToken.None);

        Assert.Equal(first.Digest, kept.ManifestDigest);
        Assert.Same(kept, cached);
        Assert.Equal(second.Digest, fresh.ManifestDigest);
    }

    [Fact]
    public async Task Forget_ManifestDigest_ResolvesTheReferenceAgain()
    {
        var catalog = new ImageCatalog(_client, null, _clock);
        var (first, _) = await TestImages.PushAsync(_client, Ref("cleaned:v1"), TestImages.RandomBytes(100, 40));
        await catalog.GetAsync(Ref("cleaned:v1"), null, CancellationToken.None);
        var (second, _) = await TestImages.PushAsync(_client, Ref("cleaned:v1"), TestImages.RandomBytes(100, 41));

        catalog.Forget(first.Digest);
        var image = await catalog.GetAsync(Ref("cleaned:v1"), null, CancellationToken.None);

        Assert.Equal(second.Digest, image.ManifestDigest);
    }

    [Fact]
    public async Task GetAsync_FailedResolution_IsNotKept()
    {
        var catalog = new ImageCatalog(_client, null, _clock);
        var error = await Assert.ThrowsAsync<RegistryException>(() => catalog.GetAsync(Ref("late:v1"), null, CancellationToken.None));
        Assert.True(error.IsNotFound);
        var (pushed, _) = await TestImages.PushAsync(_client, Ref("late:v1"), TestImages.RandomBytes(100, 50));

        var image = await catalog.GetAsync(Ref("late:v1"), null, CancellationToken.None);

        Assert.Equal(pushed.Digest, image.ManifestDigest);
    }

    [Fact]
    public async Task GetAsync_ConfigWithMoreDiffIdsThanLayers_ThrowsNamingBothCounts()
    {
        var reference = Ref("mismatch:v1");
        var layer = await _client.PushBlobAsync(reference, TestImages.RandomBytes(100, 60), MediaTypes.OciLayerGzip, CancellationToken.None);
        var diffId = OciDigest.Compute(TestImages.RandomBytes(10, 61));
        var config = await _client.PushBlobAsync(reference, Encoding.UTF8.GetBytes(
            $$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{diffId}}","{{diffId}}"] } }"""), MediaTypes.OciConfig, CancellationToken.None);
        var manifest = await _client.PushManifestAsync(reference, MediaTypes.OciManifest,
            OciJson.Serialize(new ImageManifest { MediaType = MediaTypes.OciManifest, Config = config, Layers = [layer] }), CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ImageCatalog(_client).GetAsync(reference, null, CancellationToken.None));

        Assert.Contains("2 diff IDs for 1 layers", error.Message, StringComparison.Ordinal);
        Assert.Contains(manifest.Digest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelectAsync_AllPlatforms_PicksEveryImageManifestAndNoArtifact()
    {
        var (_, amd64, arm64) = await PushMultiPlatformAsync("select:latest");

        var selection = await new ImageCatalog(_client).SelectAsync(Ref("select:latest"), null, CancellationToken.None);

        Assert.NotNull(selection.Index);
        Assert.Equal([amd64.Manifest.Digest, arm64.Manifest.Digest], selection.Selected.Select(m => m.Descriptor.Digest));
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], selection.Selected.Select(m => m.PlatformText));
    }

    [Fact]
    public async Task SelectAsync_LoneManifest_TakesItsPlatformFromTheConfig()
    {
        await TestImages.PushAsync(_client, Ref("lone:v1"), TestImages.RandomBytes(100, 70), "arm64");

        var selection = await new ImageCatalog(_client).SelectAsync(Ref("lone:v1"), [Arm64], CancellationToken.None);

        Assert.Equal("linux/arm64", Assert.Single(selection.Selected).PlatformText);
    }

    [Fact]
    public async Task HonoursRangesAsync_DockerRegistry_TrueAndRemembered()
    {
        var (manifest, _) = await TestImages.PushAsync(_client, Ref("ranges:v1"), TestImages.RandomBytes(100, 80));
        var image = await new ImageCatalog(_client).GetAsync(Ref("ranges:v1"), manifest.Digest, CancellationToken.None);
        Assert.Null(_client.RangesHonoured(Ref("ranges:v1")));

        Assert.True(await _client.HonoursRangesAsync(Ref("ranges:v1"), image.Manifest.Config, CancellationToken.None));
        Assert.True(_client.RangesHonoured(Ref("ranges:v1")));
    }

    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse($"{_server.Host}/{repositoryAndTag}");

    // An index listing a SOCI v2 index artifact (same platform, an artifact type) before the amd64 and arm64 images.
    private async Task<(Descriptor Index, PushedImage Amd64, PushedImage Arm64)> PushMultiPlatformAsync(string tag)
    {
        var repository = tag.Split(':')[0];
        var amd64Bytes = TestImages.RandomBytes(100, 10);
        var arm64Bytes = TestImages.RandomBytes(100, 11);
        var (amd64, amd64Layer) = await TestImages.PushAsync(_client, Ref($"{repository}:amd64"), amd64Bytes);
        var (arm64, arm64Layer) = await TestImages.PushAsync(_client, Ref($"{repository}:arm64"), arm64Bytes, "arm64");
        var index = OciJson.Serialize(new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests =
            [
                arm64 with { ArtifactType = "application/vnd.amazon.soci.index.v2+json", Platform = Arm64 },
                amd64 with { Platform = new Platform { Os = "linux", Architecture = "amd64" } },
                arm64 with { Platform = Arm64 },
            ],
        });
        var descriptor = await _client.PushManifestAsync(Ref(tag), MediaTypes.OciIndex, index, CancellationToken.None);
        return (descriptor, new PushedImage(amd64, amd64Layer, amd64Bytes), new PushedImage(arm64, arm64Layer, arm64Bytes));
    }

    private sealed record PushedImage(Descriptor Manifest, Descriptor Layer, byte[] Bytes);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
