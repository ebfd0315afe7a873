using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// A class fixture: TestSupport's <see cref="RegistryFixture"/> (docker-registry, distribution 2.8, no referrers API)
/// with the test image pushed by skopeo from an OCI layout built offline (make-image.sh), gzip and zstd.
/// </summary>
public class LoopbackRegistry : IAsyncLifetime
{
    private RegistryFixture? _registry;

    /// <summary>Serve HTTPS only, from a CA made for the fixture (<see cref="TlsLoopbackRegistry"/>).</summary>
    protected virtual bool Tls => false;

    /// <summary>The fixture's working directory (the image layouts; the registry's storage below it).</summary>
    public string Root { get; } = Path.Combine("/dev/shm", "soci-registry-" + Guid.NewGuid().ToString("N"));

    /// <summary>host:port of the registry.</summary>
    public string Host => Registry.Host;

    /// <summary>The busybox image: two gzip layers (about 1.1 MB and 2.4 MB).</summary>
    public string Image => $"{Host}/test/busybox:latest";

    /// <summary>The same image with zstd layers.</summary>
    public string ZstdImage => $"{Host}/test/zstd:latest";

    public string Layout => Path.Combine(Root, "image", "layout");

    /// <summary>The registry itself.</summary>
    protected RegistryFixture Registry => _registry ?? throw new InvalidOperationException("the registry starts in InitializeAsync");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "image"));
        _registry = await RegistryFixture.StartAsync(CancellationToken.None, storageParent: Root, tls: Tls);

        Tool.Run(Path.Combine(AppContext.BaseDirectory, "Registry", "make-image.sh"), Root, Path.Combine(Root, "image"));
        Skopeo($"oci:{Layout}:latest", $"docker://{Image}");
        // Recompress into a second layout first: pushing straight to the registry lets skopeo reuse the gzip blobs.
        Skopeo($"oci:{Layout}:latest", $"oci:{Layout}-zstd:latest", "--dest-compress", "--dest-compress-format", "zstd");
        Skopeo($"oci:{Layout}-zstd:latest", $"docker://{ZstdImage}", "--dest-compress-format", "zstd");
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    public void Skopeo(string source, string destination, params string[] extra) =>
        Tool.Run("skopeo", Root, ["copy", "--quiet", "--dest-tls-verify=false", "--src-tls-verify=false", .. extra, source, destination]);
}
