using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Registry;

/// <summary>
/// A docker-registry (distribution 2.x) on 127.0.0.1 with a free port and storage in a
/// temporary directory; plain HTTP, or HTTPS with a certificate from a test CA (<see cref="Certificates"/>).
/// Disposal stops it and deletes the storage.
/// </summary>
public sealed class RegistryFixture : IAsyncDisposable
{
    private const string RegistryBinary = "/usr/bin/docker-registry";
    private ChildProcess _process;
    private readonly string _directory;

    private RegistryFixture(ChildProcess process, string directory, int port, LoopbackCertificates? certificates)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Certificates = certificates;
    }

    /// <summary>The CA and server certificate it serves HTTPS with; null when it serves plain HTTP.</summary>
    public LoopbackCertificates? Certificates { get; }

    /// <summary>The scheme it serves: https when started with TLS.</summary>
    public string Scheme => Certificates is null ? "http" : "https";

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>host:port, as used in image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The registry's log, for failure messages.</summary>
    public string Log => _process.Output;

    /// <summary>An image reference in this registry, e.g. 127.0.0.1:5123/busybox:test.</summary>
    public string Reference(string repository, string tag) => $"{Host}/{repository}:{tag}";

    /// <summary>The registry's own directory (config, storage; removed on dispose), for files its configuration names.</summary>
    public string Directory => _directory;

    /// <summary>Starts a registry on a free loopback port, retrying if another process takes the port first.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="storageParent">Where to put the registry's directory (as <c>registry/</c>); null for a temporary one.</param>
    /// <param name="extraConfig">More top-level sections of its config.yml (an <c>auth:</c> section).</param>
    /// <param name="directory">The registry's directory itself (the caller made it, the fixture removes it), instead of <paramref name="storageParent"/>.</param>
    /// <param name="tls">Serve HTTPS only, with a 127.0.0.1 certificate from a CA made for this registry (<see cref="Certificates"/>).</param>
    public static async Task<RegistryFixture> StartAsync(CancellationToken cancellationToken, string? storageParent = null,
        string? extraConfig = null, string? directory = null, bool tls = false)
    {
        if (directory is null)
        {
            directory = storageParent is null
                ? System.IO.Directory.CreateTempSubdirectory("psnap-registry-").FullName
                : System.IO.Directory.CreateDirectory(Path.Combine(storageParent, "registry")).FullName;
        }
        var certificates = tls ? LoopbackCertificates.Create(Path.Combine(directory, "tls")) : null;
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = LoopbackPort.Reserve();
            var config = Path.Combine(directory, "config.yml");
            await File.WriteAllTextAsync(config, ConfigFor(Path.Combine(directory, "storage"), port, certificates, extraConfig), cancellationToken);
            var process = ChildProcess.Start("docker-registry", RegistryBinary, ["serve", config]);
            var fixture = new RegistryFixture(process, directory, port, certificates);
            try
            {
                await fixture.WaitUntilReadyAsync(cancellationToken);
                return fixture;
            }
            catch (InvalidOperationException e)
            {
                last = e;
                await process.DisposeAsync();
            }
        }
        System.IO.Directory.Delete(directory, recursive: true);
        throw new InvalidOperationException("docker-registry did not start in 3 attempts", last);
    }

    private static string ConfigFor(string storage, int port, LoopbackCertificates? certificates, string? extraConfig) => $"""
        version: 0.1
        log:
          level: info
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: {storage}
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:{port}
        {TlsSection(certificates)}
        {extraConfig}
        """;

    private static string TlsSection(LoopbackCertificates? certificates) => certificates is null ? "" : $"""
          tls:
            certificate: {certificates.CertificateFile}
            key: {certificates.KeyFile}
        """;

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        // Readiness only: whether the certificate is trusted is the tests' business.
        using var handler = new SocketsHttpHandler { UseProxy = false, SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var http = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + UnixSocketProbe.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited\n{_process.Describe()}");
            }
            try
            {
                // Any answer means it serves (401 from a registry with an auth section).
                using var response = await http.GetAsync(new Uri($"{Scheme}://{Host}/v2/"), cancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The 2 s request timeout; try again.
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException($"docker-registry did not answer on {Host}\n{_process.Describe()}");
    }

    /// <summary>The file the registry stores a blob's bytes in (digest as sha256:hex), for tests that tamper with a blob.</summary>
    public string BlobDataPath(string digest)
    {
        var (algorithm, encoded) = (digest[..digest.IndexOf(':')], digest[(digest.IndexOf(':') + 1)..]);
        return Path.Combine(_directory, "storage", "docker/registry/v2/blobs", algorithm, encoded[..2], encoded, "data");
    }

    /// <summary>Freezes the registry (SIGSTOP): it accepts connections and never answers, until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused registry run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed");
    }

    /// <summary>Stops the registry (connections to its port are refused) until <see cref="StartAgainAsync"/>.</summary>
    public ValueTask StopAsync() => _process.DisposeAsync();

    /// <summary>Stops the registry and starts it again on the same port and storage (it re-reads its config).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await StopAsync();
        await StartAgainAsync(cancellationToken);
    }

    /// <summary>Starts the registry again on the same port with the same storage.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited) return;
        _process = ChildProcess.Start("docker-registry", RegistryBinary, ["serve", Path.Combine(_directory, "config.yml")]);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
