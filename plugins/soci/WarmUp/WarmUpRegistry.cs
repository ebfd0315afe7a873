using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// A read-only registry of a few documents on a private loopback port, for the warm-up only: it answers GET and HEAD of
/// <c>/v2/&lt;repository&gt;/manifests/&lt;reference&gt;</c> and <c>/blobs/&lt;digest&gt;</c> over plain HTTP/1.1 with
/// keep-alive, so the registry client's whole path (endpoints, the pooled HTTP client, digests, JSON) runs once before the
/// first real pull. Nothing but this process ever connects: the port is bound to 127.0.0.1 and chosen by the kernel.
/// </summary>
internal sealed class WarmUpRegistry : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, (string MediaType, byte[] Bytes, string Digest)> _documents = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    /// <summary><c>127.0.0.1:port</c>, once started.</summary>
    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Serves <paramref name="bytes"/> at <c>/v2/{repository}/{kind}/{reference}</c> (kind: manifests or blobs).</summary>
    public void Add(string repository, string kind, string reference, string mediaType, byte[] bytes, string digest) =>
        _documents[$"/v2/{repository}/{kind}/{reference}"] = (mediaType, bytes, digest);

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stopping.Token);
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                lock (_connections) _connections.Add(ServeAsync(client, cancellationToken));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } requestLine)
                {
                    while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 })
                    {
                        // Headers: the client sends no body with GET or HEAD.
                    }
                    var parts = requestLine.Split(' ');
                    var found = parts.Length == 3 && _documents.TryGetValue(parts[1], out var document) ? document : default;
                    var body = found.Bytes ?? [];
                    var head = found.Bytes is null
                        ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                        : string.Create(CultureInfo.InvariantCulture,
                            $"HTTP/1.1 200 OK\r\nContent-Type: {found.MediaType}\r\nContent-Length: {body.Length}\r\nDocker-Content-Digest: {found.Digest}\r\n\r\n");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
                    if (parts[0] != "HEAD" && found.Bytes is not null) await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The client closed the connection, or the warm-up is over.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        Task[] connections;
        lock (_connections) connections = [.. _connections];
        await Task.WhenAll(connections).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
