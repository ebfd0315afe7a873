using System.Text.Json.Nodes;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// Shared by the end-to-end tests (root only; needs scripts/build.sh's out/): a tmpfs, a loopback registry holding the
/// layered test image, its eStargz forms made by stargz-snapshotter's own <c>ctr-remote</c> in a private containerd
/// (<c>image convert --estargz --oci</c>, <c>image convert --zstdchunked --oci</c>, and <c>image optimize --oci</c> with a workload, which adds the prefetch
/// landmark), a copy whose top layer's TOC digest annotation is wrong, and the SOCI-enabled form psoci makes.
/// </summary>
public sealed class EstargzImages : IAsyncLifetime
{
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(6)).Token;

    public TmpfsDirectory Directory => _directory ?? throw new InvalidOperationException("environment not started (not root?)");
    public RegistryFixture Registry => _registry!;

    /// <summary>The layered image as built (gzip layers, no index).</summary>
    public string Original => _registry!.Reference("test/layered", "v1");

    /// <summary><see cref="Original"/> converted by <c>ctr-remote image convert --estargz --oci</c>.</summary>
    public string Estargz => _registry!.Reference("test/layered", "esgz");

    /// <summary><see cref="Original"/> converted by <c>ctr-remote image convert --zstdchunked --oci</c> (zstd:chunked layers).</summary>
    public string ZstdChunked => _registry!.Reference("test/layered", "zstdchunked");

    /// <summary><see cref="Original"/> optimized by <c>ctr-remote image optimize --oci</c> for <see cref="OptimizedWorkload"/>.</summary>
    public string Optimized => _registry!.Reference("test/layered", "esgz-optimized");

    /// <summary>
    /// What the optimized image's workload reads (its files come before the landmark). Only files of the busybox layer and
    /// the middle one: ctr-remote 0.12 cannot sort a layer whose recorded file's parent directory has no entry in that
    /// layer ("failed to sort tar entries: file: data: not found"), as in the top layer.
    /// </summary>
    public static readonly string[] OptimizedWorkload = ["cat", "/data/nested/deeper/file", "/data/setgid"];

    /// <summary><see cref="Estargz"/> with the top layer's <c>containerd.io/snapshot/stargz/toc.digest</c> annotation changed.</summary>
    public string WrongTocDigest => _registry!.Reference("test/layered", "esgz-wrong-toc");

    /// <summary>The SOCI-enabled (v2) image psoci made of <see cref="Original"/>.</summary>
    public string Soci => _registry!.Reference("test/layered", "soci");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = Timeout;
        _directory = await TmpfsDirectory.CreateAsync("estargz-e2e", ct);
        _registry = await RegistryFixture.StartAsync(ct, _directory.Path);
        var layered = await TestImages.Layered(_directory.Combine("layered")).BuildAsync("v1", ct);
        await layered.PushAsync(Original, ct);
        await PublishedPsoci.RunCheckedAsync(["convert", "--min-layer-size", "0", "--span-size", "65536", Original, Soci], ct);

        await using (var converter = await ContainerdFixture.StartAsync(new ContainerdOptions { WorkDirectory = _directory.Combine("convert") }, ct))
        {
            await converter.CtrAsync(["image", "pull", "--plain-http", Original], ct);
            await converter.CtrRemoteAsync(["image", "convert", "--estargz", "--oci", Original, Estargz], ct);
            await converter.CtrAsync(["image", "push", "--plain-http", Estargz], ct);
            await converter.CtrRemoteAsync(["image", "convert", "--zstdchunked", "--oci", Original, ZstdChunked], ct);
            await converter.CtrAsync(["image", "push", "--plain-http", ZstdChunked], ct);
            await converter.CtrRemoteAsync(["image", "optimize", "--oci", "--period", "1",
                "--args", System.Text.Json.JsonSerializer.Serialize(OptimizedWorkload), Original, Optimized], ct);
            await converter.CtrAsync(["image", "push", "--plain-http", Optimized], ct);
        }
        await PushWithWrongTocDigestAsync(ct);
    }

    /// <summary>Pushes <see cref="Estargz"/>'s manifest again with its top layer's TOC digest replaced.</summary>
    private async Task PushWithWrongTocDigestAsync(CancellationToken ct)
    {
        using var registry = new RegistryClient();
        var image = await registry.ResolveAsync(ImageReference.Parse(Estargz), null, ct);
        var manifest = JsonNode.Parse(image.ManifestBytes.Span)!;
        var top = manifest["layers"]!.AsArray()[^1]!;
        top["annotations"]![EstargzLabels.TocDigest] = OciDigest.Compute("not this layer's TOC"u8).ToString();
        await registry.PushManifestAsync(ImageReference.Parse(WrongTocDigest), image.ManifestDescriptor.MediaType,
            System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()), ct);
    }


    public async Task DisposeAsync()
    {
        try
        {
            if (_registry is not null) await _registry.DisposeAsync();
        }
        finally
        {
            if (_directory is not null) await _directory.DisposeAsync();
        }
    }
}
