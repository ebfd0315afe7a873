using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace PluggableSnapshotter.TestSupport.Registry;

/// <summary>
/// A loopback registry of one blob that answers range requests, the first <c>shortBodies</c> of them with half the bytes
/// (a Content-Length that ends early: the client sees a short body, not a broken connection).
/// </summary>
public sealed partial class ShortBodyRegistry : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly byte[] _blob;
    private int _shortBodies;

    public ShortBodyRegistry(byte[] blob, int shortBodies)
    {
        (_blob, _shortBodies) = (blob, shortBodies);
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>A reference in the registry's one repository (any digest names the blob).</summary>
    public string Reference => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/test/short:v1";

    private int _rangeRequests;

    /// <summary>Range requests answered so far (connections are served concurrently: counted atomically).</summary>
    public int RangeRequests => Volatile.Read(ref _rangeRequests);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(client);
                _ = Task.Run(() => ServeAsync(client.GetStream()));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The test is over.
        }
    }

    private async Task ServeAsync(NetworkStream stream)
    {
        try
        {
            var reader = new StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync(_stop.Token) is { } requestLine)
            {
                string? range = null;
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } header)
                {
                    if (header.StartsWith("Range:", StringComparison.OrdinalIgnoreCase)) range = header[6..].Trim();
                }
                var answer = Answer(requestLine, range);
                if (MidBody is { } midBody && answer.Body.Length > 1)
                {
                    // The head and the body's first half, flushed; the rest once the test's hook returns.
                    var half = answer.Body.Length / 2;
                    await stream.WriteAsync(answer.Head, _stop.Token);
                    await stream.WriteAsync(answer.Body.AsMemory(0, half), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    await midBody();
                    await stream.WriteAsync(answer.Body.AsMemory(half), _stop.Token);
                    continue;
                }
                await stream.WriteAsync(answer.Head, _stop.Token);
                await stream.WriteAsync(answer.Body, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The client or the test went away.
        }
    }

    /// <summary>
    /// When set, awaited in the middle of each answer with a body: after the head and the first half of the body were
    /// sent, before the rest (a response in flight when something happens).
    /// </summary>
    public Func<Task>? MidBody { get; set; }

    private (byte[] Head, byte[] Body) Answer(string requestLine, string? range)
    {
        if (!requestLine.Contains("/blobs/", StringComparison.Ordinal)) return Response("200 OK", [], "");
        if (range is null || RangeHeader().Match(range) is not { Success: true } match) return Response("200 OK", _blob, "");
        Interlocked.Increment(ref _rangeRequests);
        var from = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var to = Math.Min(long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), _blob.Length - 1);
        var body = _blob.AsSpan((int)from, (int)(to - from + 1)).ToArray();
        if (Interlocked.Decrement(ref _shortBodies) >= 0) body = body[..(body.Length / 2)];
        return Response("206 Partial Content", body, $"Content-Range: bytes {from}-{to}/{_blob.Length}\r\n");
    }

    private static (byte[] Head, byte[] Body) Response(string status, byte[] body, string headers) =>
        (Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: {body.Length}\r\nContent-Type: application/octet-stream\r\n{headers}\r\n"), body);

    [GeneratedRegex(@"bytes=(\d+)-(\d+)")]
    private static partial Regex RangeHeader();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections) _connections.ForEach(c => c.Dispose());
        _stop.Dispose();
    }
}
