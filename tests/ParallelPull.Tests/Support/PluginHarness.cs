using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>
/// The backend built through its plugin entry point with the given settings, its state on a fresh tmpfs, and its hosted
/// service started (as the host would); disposal stops it and removes the tmpfs.
/// </summary>
public sealed class PluginHarness : IAsyncDisposable
{
    private readonly Tmpfs _tmpfs;
    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private int _snapshots;

    private PluginHarness(Tmpfs tmpfs, ServiceProvider services, IHostedService[] hosted)
    {
        _tmpfs = tmpfs;
        _services = services;
        _hosted = hosted;
    }

    public IFileSystem FileSystem => _services.GetRequiredService<IFileSystem>();

    internal ImageJobs Jobs => _services.GetRequiredService<ImageJobs>();

    internal BlobStore Blobs => _services.GetRequiredService<BlobStore>();

    internal LayerSlots Slots => _services.GetRequiredService<LayerSlots>();

    public string StateDirectory => _tmpfs.PathOf("state");

    /// <summary>Files and directories under the state directory's staging and blob folders (empty when nothing is left).</summary>
    public IReadOnlyList<string> Leftovers() =>
        [.. new[] { "staging", "blobs" }.Select(d => Path.Combine(StateDirectory, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))];

    public static async Task<PluginHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var tmpfs = new Tmpfs();
        try
        {
            var services = new ServiceCollection();
            services.AddLogging();
            if (time is not null) services.AddSingleton(time);
            var all = new Dictionary<string, string?> { ["hosts_dir"] = "" };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
            Directory.CreateDirectory(tmpfs.PathOf("state"));
            new ParallelPullPlugin().ConfigureServices(services, new PluginContext
            {
                Name = "parallel-pull",
                Settings = new ConfigurationBuilder().AddInMemoryCollection(all).Build(),
                SnapshotterRoot = tmpfs.Root,
                StateDirectory = tmpfs.PathOf("state"),
            });
            var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted) await service.StartAsync(CancellationToken.None);
            return new PluginHarness(tmpfs, provider, hosted);
        }
        catch
        {
            tmpfs.Dispose();
            throw;
        }
    }

    /// <summary>An empty snapshot mount point, as the host creates it.</summary>
    public string NewMountpoint() => Directory.CreateDirectory(_tmpfs.PathOf($"snapshots/{Interlocked.Increment(ref _snapshots)}/fs")).FullName;

    /// <summary>The Prepare of layer <paramref name="layer"/> of <paramref name="image"/>, with CRI's labels or (stargz) ctr-remote's.</summary>
    public LayerRequest Request(PushedImage image, int layer, bool cri = true)
    {
        var labels = cri
            ? new Dictionary<string, string>
            {
                [SnapshotLabels.CriImageRef] = image.Reference,
                [SnapshotLabels.CriManifestDigest] = image.ManifestDigest,
                [SnapshotLabels.CriLayerDigest] = image.Layers[layer].Digest,
                [SnapshotLabels.CriImageLayers] = string.Join(',', image.Layers.Select(l => l.Digest)),
                [SnapshotLabels.TargetRef] = $"target-{layer}",
            }
            : new Dictionary<string, string>
            {
                [SnapshotLabels.StargzReference] = image.Reference,
                [SnapshotLabels.StargzDigest] = image.Layers[layer].Digest,
                [SnapshotLabels.StargzLayers] = string.Join(',', image.Layers.Select(l => l.Digest)),
                [SnapshotLabels.TargetRef] = $"target-{layer}",
            };
        var mountpoint = NewMountpoint();
        return new LayerRequest { Mountpoint = mountpoint, Key = $"default/{_snapshots}/key", Namespace = "default", Labels = labels };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _hosted) await service.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        _tmpfs.Dispose();
    }
}

/// <summary>An image pushed by <see cref="ImagePusher"/>.</summary>
public sealed record PushedImage(string Reference, string ManifestDigest, IReadOnlyList<Descriptor> Layers);

/// <summary>Pushes images made of in-memory layers (gzip, zstd or plain tar) with correct diff IDs.</summary>
public static class ImagePusher
{
    public static async Task<PushedImage> PushAsync(string registryHost, string repositoryAndTag, params byte[][] layers)
    {
        using var client = new RegistryClient();
        var reference = ImageReference.Parse($"{registryHost}/{repositoryAndTag}");
        var descriptors = new List<Descriptor>();
        var diffIds = new List<string>();
        foreach (var layer in layers)
        {
            var mediaType = layer[0] == 0x28 ? MediaTypes.OciLayerZstd : layer[0] == 0x1f ? MediaTypes.OciLayerGzip : MediaTypes.OciLayer;
            descriptors.Add(await client.PushBlobAsync(reference, layer, mediaType, CancellationToken.None));
            diffIds.Add(DiffId(layer, mediaType));
        }

        var config = Encoding.UTF8.GetBytes(
            $$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[{{string.Join(',', diffIds.Select(d => $"\"{d}\""))}}]} }""");
        var configDescriptor = await client.PushBlobAsync(reference, config, MediaTypes.OciConfig, CancellationToken.None);
        var manifest = OciJson.Serialize(new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDescriptor, Layers = descriptors });
        var pushed = await client.PushManifestAsync(reference, MediaTypes.OciManifest, manifest, CancellationToken.None);
        return new PushedImage(reference.ToString(), pushed.Digest, descriptors);
    }


    private static string DiffId(byte[] layer, string mediaType)
    {
        using var input = new MemoryStream(layer);
        using Stream tar = mediaType == MediaTypes.OciLayerZstd ? new ZstdSharp.DecompressionStream(input)
            : mediaType == MediaTypes.OciLayerGzip ? new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress)
            : input;
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar));
    }
}
