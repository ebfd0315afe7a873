using System.Globalization;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// Shared by the end-to-end tests (root only; needs scripts/build.sh's out/): a tmpfs, a loopback registry holding the
/// layered test image, its SOCI-enabled conversion made by <c>out/cli/psoci convert</c> (every layer indexed, 64 KiB
/// spans) and other conversions, and a plain busybox image with no index. Each test starts its own daemon and containerd;
/// the test classes that share these run one after another (<see cref="SociImagesCollection"/>), as they share the registry log.
/// </summary>
public sealed class SociImages : IAsyncLifetime
{
    public const long SpanSize = 64 * 1024;
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(6)).Token;

    public TmpfsDirectory Directory => _directory ?? throw new InvalidOperationException("environment not started (not root?)");
    public RegistryFixture Registry => _registry!;

    /// <summary>The layered image as built (no index).</summary>
    public string Original => _registry!.Reference("test/layered", "v1");

    /// <summary>The SOCI-enabled (v2) image psoci made of <see cref="Original"/>.</summary>
    public string Converted => _registry!.Reference("test/layered", "soci");

    /// <summary>An image with no SOCI index; its Cmd prints <see cref="PlainMessage"/>.</summary>
    public string Plain => _registry!.Reference("test/plain", "v1");

    public const string PlainMessage = "not indexed\n";

    /// <summary>A conversion of <see cref="Original"/> whose index holds a zTOC for the busybox layer only (a sparse index).</summary>
    public string Sparse => _registry!.Reference("test/layered", "sparse");

    /// <summary>The layered image in a repository of its own with a v1 SOCI index (psoci create + push), found only through referrers.</summary>
    public string V1Indexed => _registry!.Reference("test/v1", "v1");

    /// <summary>A conversion of <see cref="Original"/> whose SOCI index was deleted from the registry afterwards.</summary>
    public string MissingIndex => _registry!.Reference("test/layered", "missing-index");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = Timeout;
        _directory = await TmpfsDirectory.CreateAsync("soci-e2e", ct);
        _registry = await RegistryFixture.StartAsync(ct, _directory.Path);
        var layered = await TestImages.Layered(_directory.Combine("layered")).BuildAsync("v1", ct);
        await layered.PushAsync(Original, ct);
        await layered.PushAsync(V1Indexed, ct);
        var plain = await TestImages.Busybox(_directory.Combine("plain"), PlainMessage).BuildAsync("v1", ct);
        await plain.PushAsync(Plain, ct);
        await ConvertAsync(Converted, 0, SpanSize, ct);
        await ConvertAsync(Sparse, 1_000_000, SpanSize, ct); // the busybox layer is about 1 MB, the others a few KB
        await ConvertAsync(MissingIndex, 0, 2 * SpanSize, ct); // another span size: an index of its own, deleted below
        var store = _directory.Combine("psoci-store");
        await PublishedPsoci.RunCheckedAsync(["create", "--store", store, "--min-layer-size", "0", "--span-size", "65536", V1Indexed], ct);
        await PublishedPsoci.RunCheckedAsync(["push", "--store", store, V1Indexed], ct);
        using var registry = new RegistryClient();
        var image = await registry.ResolveAsync(ImageReference.Parse(MissingIndex), null, ct);
        var index = image.Manifest.Annotations![SociAnnotations.IndexDigest];
        using var http = new HttpClient();
        using var deleted = await http.DeleteAsync(new Uri($"http://{_registry.Host}/v2/test/layered/manifests/{index}"), ct);
        deleted.EnsureSuccessStatusCode();
    }

    private Task ConvertAsync(string destination, long minLayerSize, long spanSize, CancellationToken ct) =>
        PublishedPsoci.RunCheckedAsync(["convert", "--min-layer-size", minLayerSize.ToString(CultureInfo.InvariantCulture),
            "--span-size", spanSize.ToString(CultureInfo.InvariantCulture), Original, destination], ct);


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
