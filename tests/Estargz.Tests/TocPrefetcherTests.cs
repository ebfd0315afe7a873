using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>
/// The later layers' TOCs, fetched in the background once the first layer mounts, against a loopback docker-registry
/// (root only: its storage is a tmpfs): the later layers' Prepares make no request of their own.
/// </summary>
public sealed class TocPrefetcherTests : IAsyncLifetime
{
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private RegistryClient? _client;

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        _directory = await TmpfsDirectory.CreateAsync("estargz-toc-prefetch", CancellationToken.None);
        _registry = await RegistryFixture.StartAsync(CancellationToken.None, _directory.Path);
        _client = new RegistryClient();
    }

    [RootOnlyFact]
    public async Task FindAsync_LaterLayersAfterFirstMounts_TocsComeFromThePrefetchWithoutRequests()
    {
        var (repository, manifest) = await PushImageAsync();
        using var prefetcher = Prefetcher();
        prefetcher.PrefetchLayersAbove(repository, "image", manifest, manifest.Layers[0].Digest, _ => true);
        await WaitUntilAsync(() => RequestsFor(manifest.Layers[1].Digest) >= 1 && RequestsFor(manifest.Layers[2].Digest) >= 1 && prefetcher.HeldBytes > 0);
        var before = _registry!.Log.Length;

        foreach (var layer in manifest.Layers.Skip(1))
        {
            var (found, prefetched) = await prefetcher.FindAsync(repository, layer, Compression(layer), TocDigest(layer), CancellationToken.None);
            Assert.True(prefetched, layer.Digest);
            Assert.Equal(TocDigest(layer), found!.Digest);
        }

        Assert.Equal(0, Requests(_registry.Log[before..], manifest.Layers.Select(l => l.Digest)));
        Assert.Equal(0, prefetcher.HeldBytes);
        // Handed out once: a second Prepare of the same layer fetches it itself.
        var (_, again) = await prefetcher.FindAsync(repository, manifest.Layers[1], EstargzCompression.Zstd, TocDigest(manifest.Layers[1]), CancellationToken.None);
        Assert.False(again);
    }

    [RootOnlyFact]
    public async Task FindAsync_TocBoundTooSmall_LaterLayersFetchTheirOwnAndNothingIsHeld()
    {
        var (repository, manifest) = await PushImageAsync();
        using var prefetcher = Prefetcher(tocMaxBytes: 16);
        prefetcher.PrefetchLayersAbove(repository, "image", manifest, manifest.Layers[0].Digest, _ => true);
        await WaitUntilAsync(() => RequestsFor(manifest.Layers[2].Digest) >= 1);
        await Task.Delay(500); // parsed and dropped

        Assert.Equal(0, prefetcher.HeldBytes);
        var (found, prefetched) = await prefetcher.FindAsync(repository, manifest.Layers[2], EstargzCompression.Zstd, TocDigest(manifest.Layers[2]), CancellationToken.None);
        Assert.False(prefetched);
        Assert.NotNull(found);
    }

    [RootOnlyFact]
    public async Task Forget_ImageCleanedBeforeItsLaterLayersMount_DropsTheirTocs()
    {
        var (repository, manifest) = await PushImageAsync();
        using var prefetcher = Prefetcher();
        prefetcher.PrefetchLayersAbove(repository, "image", manifest, manifest.Layers[0].Digest, _ => true);
        await WaitUntilAsync(() => prefetcher.HeldBytes > 0 && RequestsFor(manifest.Layers[2].Digest) >= 1);

        prefetcher.Forget("image");

        Assert.Equal(0, prefetcher.HeldBytes);
    }

    private TocPrefetcher Prefetcher(long tocMaxBytes = 1 << 20) =>
        new(new TocFinder(new OnDemandFetch(_client!, new FetchOptions())), new EstargzBackendOptions { Prefetch = new EstargzPrefetchOptions { TocMaxBytes = tocMaxBytes } });

    /// <summary>Three layers, the first eStargz, the others zstd:chunked, each with its TOC digest annotation as ctr-remote writes it.</summary>
    private async Task<(ImageReference Repository, ImageManifest Manifest)> PushImageAsync()
    {
        var repository = ImageReference.Parse(_registry!.Reference("test/prefetch", "v1"));
        var layers = new List<Descriptor>();
        foreach (var (compression, name) in new[] { (EstargzCompression.Gzip, "bottom"), (EstargzCompression.Zstd, "middle"), (EstargzCompression.Zstd, "top") })
        {
            var (blob, json, _) = new EstargzBlobWriter(compression).File(name, EstargzBlobWriter.Text(name)).Build();
            var mediaType = compression == EstargzCompression.Zstd ? MediaTypes.OciLayerZstd : MediaTypes.OciLayerGzip;
            var descriptor = await _client!.PushBlobAsync(repository, blob, mediaType, CancellationToken.None);
            layers.Add(descriptor with { Annotations = new Dictionary<string, string> { [EstargzLabels.TocDigest] = OciDigest.Compute(json).ToString() } });
        }
        var config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = OciDigest.Compute("{}"u8).ToString(), Size = 2 };
        return (repository, new ImageManifest { Config = config, Layers = layers });
    }

    private static EstargzCompression Compression(Descriptor layer) => TocPrefetcher.Compression(layer.MediaType)!.Value;

    private static string TocDigest(Descriptor layer) => layer.Annotations![EstargzLabels.TocDigest];

    private int RequestsFor(string digest) => Requests(_registry!.Log, [digest]);

    /// <summary>Blob GETs the registry logged for <paramref name="digests"/>.</summary>
    private static int Requests(string log, IEnumerable<string> digests) => digests.Sum(d => RegistryTraffic.BlobRequests(log, d));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }
}
