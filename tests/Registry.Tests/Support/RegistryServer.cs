using System.Diagnostics;

namespace PluggableSnapshotter.Registry.Tests.Support;

/// <summary>
/// A real <c>docker-registry</c> (distribution 2.8) on 127.0.0.1 with its storage in a temp directory;
/// killed and removed on dispose. the authYaml argument is the config's <c>auth:</c> section, if any.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private Process _process;

    private RegistryServer(string directory, int port, Process process)
    {
        Directory = directory;
        Port = port;
        _process = process;
    }

    public string Directory { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string StorageRoot => Path.Combine(Directory, "data");

    public static async Task<RegistryServer> StartAsync(string? authYaml = null, string? directory = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("registry-test-").FullName;
        var port = FreePort.Next();
        var config = Path.Combine(directory, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {authYaml ?? ""}
            """);
        var server = new RegistryServer(directory, port, Launch(config));
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Stops the registry and starts it again on the same port and storage (it re-reads its config).</summary>
    public async Task RestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = Launch(Path.Combine(Directory, "config.yml"));
        await WaitReadyAsync();
    }

    private static Process Launch(string config)
    {
        var info = new ProcessStartInfo("/usr/bin/docker-registry", ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("docker-registry did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient();
        for (var i = 0; i < 200; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}");
            try
            {
                using var response = await http.GetAsync($"http://{Host}/v2/");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("docker-registry did not start listening");
    }

    /// <summary>The file the registry stores a blob's bytes in.</summary>
    public string BlobDataPath(OciDigest digest) =>
        Path.Combine(StorageRoot, "docker/registry/v2/blobs", digest.Algorithm, digest.Encoded[..2], digest.Encoded, "data");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        finally
        {
            _process.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
