using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// A docker-registry (distribution 2.8, no referrers API) serving plain HTTP on 127.0.0.1 from a tmpfs directory,
/// with the test image pushed by skopeo from an OCI layout built offline (make-image.sh).
/// </summary>
public class LoopbackRegistry : IAsyncLifetime
{
    private Process? _registry;

    /// <summary>The registry's <c>http:</c> section beyond its address (TLS, in <see cref="TlsLoopbackRegistry"/>).</summary>
    protected virtual string HttpSettings => "";

    /// <summary>The scheme it serves.</summary>
    protected virtual string Scheme => "http";

    /// <summary>Prepares what the registry's configuration refers to (certificates), before it starts.</summary>
    protected virtual void Prepare()
    {
    }

    public string Root { get; } = Path.Combine("/dev/shm", "soci-registry-" + Guid.NewGuid().ToString("N"));
    public string Host { get; private set; } = "";

    /// <summary>The busybox image: two gzip layers (about 1.1 MB and 2.4 MB).</summary>
    public string Image => $"{Host}/test/busybox:latest";

    /// <summary>The same image with zstd layers.</summary>
    public string ZstdImage => $"{Host}/test/zstd:latest";

    public string Layout => Path.Combine(Root, "image", "layout");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "image"));
        int port = FreePort();
        Host = $"127.0.0.1:{port}";
        Prepare();
        string config = Path.Combine(Root, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Root}/data
              delete:
                enabled: true
            http:
              addr: {Host}
            {HttpSettings}
            """);
        _registry = Process.Start(new ProcessStartInfo("/usr/bin/docker-registry", ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("cannot start docker-registry");
        _registry.OutputDataReceived += (_, _) => { };
        _registry.ErrorDataReceived += (_, _) => { };
        _registry.BeginOutputReadLine();
        _registry.BeginErrorReadLine();
        await WaitReadyAsync();

        Tool.Run(Path.Combine(AppContext.BaseDirectory, "Registry", "make-image.sh"), Root, Path.Combine(Root, "image"));
        Skopeo($"oci:{Layout}:latest", $"docker://{Image}");
        // Recompress into a second layout first: pushing straight to the registry lets skopeo reuse the gzip blobs.
        Skopeo($"oci:{Layout}:latest", $"oci:{Layout}-zstd:latest", "--dest-compress", "--dest-compress-format", "zstd");
        Skopeo($"oci:{Layout}-zstd:latest", $"docker://{ZstdImage}", "--dest-compress-format", "zstd");
    }

    public Task DisposeAsync()
    {
        if (_registry is { HasExited: false })
        {
            _registry.Kill(entireProcessTree: true);
            _registry.WaitForExit();
        }
        _registry?.Dispose();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        return Task.CompletedTask;
    }

    public void Skopeo(string source, string destination, params string[] extra) =>
        Tool.Run("skopeo", Root, ["copy", "--quiet", "--dest-tls-verify=false", "--src-tls-verify=false", .. extra, source, destination]);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitReadyAsync()
    {
        // Readiness only: the certificate is the tests' business.
        var handler = new SocketsHttpHandler { UseProxy = false, SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using HttpResponseMessage r = await http.GetAsync(new Uri($"{Scheme}://{Host}/v2/"));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"docker-registry did not come up on {Host}");
    }
}
