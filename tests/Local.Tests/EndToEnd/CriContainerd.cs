using System.Net.Sockets;
using Grpc.Net.Client;
using PluggableSnapshotter.Plugins.Local.Tests.Cri;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Plugins.Local.Tests.EndToEnd;

/// <summary>
/// A private containerd 1.6 with its CRI plugin on, pulling into our daemon (<c>snapshotter = "pluggable"</c>) with
/// <c>disable_snapshot_annotations = false</c> so that Prepare carries the <c>cri.*</c> labels, and a small CRI client
/// (root only). No pods are run: only the image service is used.
/// </summary>
public sealed class CriContainerd : IAsyncDisposable
{
    public const string Namespace = "k8s.io";
    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly GrpcChannel _channel;

    private CriContainerd(ChildProcess process, string directory)
    {
        _process = process;
        _directory = directory;
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Address), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            },
        });
    }

    public string Address => Path.Combine(_directory, "c.sock");
    public string Describe() => _process.Describe();

    public static async Task<CriContainerd> StartAsync(string workDirectory, string snapshotterSocket, string registryHost, CancellationToken ct)
    {
        var directory = Directory.CreateDirectory(Path.Combine(workDirectory, "cri")).FullName;
        var certs = Directory.CreateDirectory(Path.Combine(directory, "certs.d", registryHost)).FullName;
        await File.WriteAllTextAsync(Path.Combine(certs, "hosts.toml"), $"server = \"http://{registryHost}\"\n", ct);
        var config = Path.Combine(directory, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{directory}/root"
            state = "{directory}/state"
            disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
            [grpc]
              address = "{directory}/c.sock"
            [ttrpc]
              address = "{directory}/c.sock.ttrpc"
            [debug]
              level = "debug"
            [proxy_plugins.pluggable]
              type = "snapshot"
              address = "{snapshotterSocket}"
            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "registry.invalid/pause:none"
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "pluggable"
                disable_snapshot_annotations = false
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "{directory}/cni-bin"
                conf_dir = "{directory}/cni-conf"
              [plugins."io.containerd.grpc.v1.cri".registry]
                config_path = "{directory}/certs.d"
            """, ct);
        var process = ChildProcess.Start("containerd-cri", "/usr/bin/containerd", ["--config", config]);
        var fixture = new CriContainerd(process, directory);
        try
        {
            await UnixSocketProbe.WaitAsync(fixture.Address, process, ct);
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }

        return fixture;
    }

    /// <summary>Pulls through CRI's image service (which unpacks into the configured snapshotter); returns the image id.</summary>
    public async Task<string> PullImageAsync(string image, CancellationToken ct)
    {
        var client = new ImageService.ImageServiceClient(_channel);
        var response = await client.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } }, cancellationToken: ct);
        return response.ImageRef;
    }

    /// <summary>Runs ctr against this containerd in the k8s.io namespace; throws unless it succeeds.</summary>
    public async Task<ProcessResult> CtrAsync(IEnumerable<string> arguments, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync("ctr", ["--address", Address, "-n", Namespace, .. arguments], ct);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{result.Command}` exited with {result.ExitCode}\n{result.StandardError}\n{Describe()}");
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _process.DisposeAsync();
        MountTable.UnmountUnder(_directory);
    }
}
