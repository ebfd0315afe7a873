using System.Net.Sockets;
using Grpc.Net.Client;
using PluggableSnapshotter.Host.Grpc.Wire;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>containerd's snapshots API of the daemon, called directly over its unix socket as a proxy snapshotter is.</summary>
public sealed class SnapshotsClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public SnapshotsClient(string socket)
    {
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await connection.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(connection, ownsSocket: true);
                },
            },
        });
        Snapshots = new Snapshots.SnapshotsClient(_channel);
    }

    public Snapshots.SnapshotsClient Snapshots { get; }

    public void Dispose() => _channel.Dispose();
}
