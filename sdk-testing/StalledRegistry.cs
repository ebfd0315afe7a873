using System.Net;
using System.Net.Sockets;

namespace PluggableSnapshotter.Sdk.Testing;

/// <summary>
/// A loopback "registry" that accepts connections and never answers: whatever a backend fetches from it hangs until the
/// backend gives up or is cancelled. Loopback only.
/// </summary>
public sealed class StalledRegistry : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();

    public StalledRegistry()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>host:port to put in an image reference.</summary>
    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                lock (_accepted) _accepted.Add(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            foreach (var socket in _accepted) socket.Dispose();
        }
        _stop.Dispose();
    }
}
