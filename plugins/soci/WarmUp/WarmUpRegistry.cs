using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// A read-only registry of a few documents on a private loopback port, for the warm-up only: it answers GET and HEAD of
/// <c>/v2/&lt;repository&gt;/manifests/&lt;reference&gt;</c> and <c>/blobs/&lt;digest&gt;</c> over plain HTTP/1.1 with
/// keep-alive, and a single byte range of a blob (<c>Range: bytes=first-last</c>, 206), so the registry client's whole path
/// (endpoints, the pooled HTTP client, digests, JSON, the range requests of on-demand reads and of the fill) runs once
/// before the first real pull. Nothing but this process ever connects: the port is bound to 127.0.0.1 and chosen by the kernel.
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
                    string? range = null;
                    while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } header)
                    {
                        // Headers: the client sends no body with GET or HEAD; only a range matters.
                        if (header.StartsWith("Range: bytes=", StringComparison.OrdinalIgnoreCase)) range = header["Range: bytes=".Length..];
                    }
                    var parts = requestLine.Split(' ');
                    var found = parts.Length == 3 && _documents.TryGetValue(parts[1], out var document) ? document : default;
                    var (head, body) = Answer(found.Bytes is null ? null : found, range);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
                    if (parts[0] != "HEAD") await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The client closed the connection, or the warm-up is over.
            }
        }
    }

    /// <summary>The status line and headers, and the body: 404, the whole document, or the one range asked for (206; 416 outside it).</summary>
    private static (string Head, ReadOnlyMemory<byte> Body) Answer((string MediaType, byte[] Bytes, string Digest)? found, string? range)
    {
        if (found is not { } document) return ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", ReadOnlyMemory<byte>.Empty);
        var common = $"Content-Type: {document.MediaType}\r\nDocker-Content-Digest: {document.Digest}\r\nAccept-Ranges: bytes\r\n";
        if (range is null)
            return (string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 200 OK\r\n{common}Content-Length: {document.Bytes.Length}\r\n\r\n"), document.Bytes);
        var bounds = range.Split('-');
        var first = bounds.Length == 2 && long.TryParse(bounds[0], CultureInfo.InvariantCulture, out var from) ? from : long.MaxValue;
        var last = bounds.Length == 2 && long.TryParse(bounds[1], CultureInfo.InvariantCulture, out var asked) ? Math.Min(asked, document.Bytes.Length - 1) : document.Bytes.Length - 1;
        if (first >= document.Bytes.Length || last < first)
            return (string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{document.Bytes.Length}\r\nContent-Length: 0\r\n\r\n"),
                ReadOnlyMemory<byte>.Empty);
        var length = (int)(last - first + 1);
        return (string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 206 Partial Content\r\n{common}Content-Range: bytes {first}-{last}/{document.Bytes.Length}\r\nContent-Length: {length}\r\n\r\n"),
            document.Bytes.AsMemory((int)first, length));
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
