using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a registry that can hide every <c>Range</c> header (a registry without range support)
/// and hold blob responses at a <see cref="BlobGate"/> (a pull that is still running when a test interrupts it). Records
/// the requests it forwarded.
/// </summary>
public sealed partial class GatedProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly StringBuilder _requests = new();
    private readonly CancellationTokenSource _closed = new();
    private volatile BlobGate? _gate;

    public GatedProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Rename <c>Range</c> headers so the registry answers every request with the whole blob.</summary>
    public bool HideRanges { get; set; }

    /// <summary>Everything clients sent.</summary>
    public string Requests
    {
        get { lock (_requests) return _requests.ToString(); }
    }

    /// <summary>How many GET requests named the blob <paramref name="digest"/>.</summary>
    public int BlobGets(string digest) => Requests.Split("\r\n").Count(l => l.StartsWith("GET ", StringComparison.Ordinal) && l.Contains("/blobs/" + digest, StringComparison.Ordinal));

    /// <summary>
    /// From now on, holds blob responses (of <paramref name="digest"/> only, when given) once <paramref name="budget"/>
    /// blob bytes have gone through, until the returned gate is released. Release it in a finally block.
    /// </summary>
    public BlobGate Hold(long budget, string? digest = null)
    {
        var gate = new BlobGate(budget, digest);
        _gate = gate;
        return gate;
    }

    private async Task AcceptAsync()
    {
        while (!_closed.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_closed.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort);
            var exchange = new Exchange();
            var toServer = PumpRequestsAsync(client.GetStream(), upstream.GetStream(), exchange);
            var toClient = PumpResponsesAsync(upstream.GetStream(), client.GetStream(), exchange);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream to, Exchange exchange)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _closed.Token)) > 0)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                lock (_requests) _requests.Append(text);
                // Clients do not pipeline: a request line starts the exchange whose response comes next.
                if (RequestLine().Match(text) is { Success: true } line)
                {
                    exchange.BlobDigest = line.Groups["blob"].Success ? line.Groups["blob"].Value : null;
                }
                if (HideRanges)
                {
                    for (var at = text.IndexOf("\r\nRange:", StringComparison.OrdinalIgnoreCase); at >= 0;
                         at = text.IndexOf("\r\nRange:", at + 2, StringComparison.OrdinalIgnoreCase))
                    {
                        buffer[at + 2] = (byte)'X'; // "Xange": the registry ignores it and sends the whole blob
                    }
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _closed.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
    }

    private async Task PumpResponsesAsync(NetworkStream from, NetworkStream to, Exchange exchange)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _closed.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), _closed.Token);
                if (_gate is { } gate && gate.Applies(exchange.BlobDigest)) await gate.PassAsync(read, _closed.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _closed.Cancel();
        _listener.Stop();
    }

    // A blob GET names the digest; any other request line starts an exchange the gate leaves alone.
    [GeneratedRegex(@"^(?:GET (?:\S*/blobs/(?<blob>sha256:[0-9a-f]{64})\S*|\S+)|(?:HEAD|POST|PUT|PATCH|DELETE) \S+) HTTP/1\.[01]\r\n")]
    private static partial Regex RequestLine();

    /// <summary>What one connection's current request asks for, as its response pump needs to know.</summary>
    private sealed class Exchange
    {
        public volatile string? BlobDigest;
    }
}
