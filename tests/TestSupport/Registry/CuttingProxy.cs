using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableSnapshotter.TestSupport.Registry;

/// <summary>
/// A loopback TCP proxy in front of a registry that can drop a connection once after a number of response bytes
/// (<see cref="CutOnceAfter"/>), and can hide multi-range <c>Range</c> headers from the registry (<see cref="HideMultiRange"/>).
/// Records what clients sent so tests can look for range requests.
/// </summary>
public sealed class CuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly StringBuilder _requests = new();
    private long _cutAfter = -1;
    private int _armGeneration;
    private int _failNext;

    public CuttingProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Host => $"127.0.0.1:{Port}";
    public bool HideMultiRange { get; set; }
    public int Cuts { get; private set; }

    /// <summary>Drops the next connection that carries more than <paramref name="bytes"/> response bytes from now on.</summary>
    public void CutOnceAfter(long bytes)
    {
        Interlocked.Increment(ref _armGeneration);
        Interlocked.Exchange(ref _cutAfter, bytes);
    }

    /// <summary>Answers the next <paramref name="count"/> requests itself with <c>503</c> and <c>Retry-After: 1</c>.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public string Requests
    {
        get { lock (_requests) return _requests.ToString(); }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
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
        await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort);
        var clientStream = client.GetStream();
        var upstreamStream = upstream.GetStream();
        var toServer = PumpRequestsAsync(clientStream, upstreamStream, clientStream);
        var toClient = PumpResponsesAsync(upstreamStream, clientStream, client, upstream);
        await Task.WhenAny(toServer, toClient);
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream to, NetworkStream reply)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                lock (_requests) _requests.Append(text);
                if (text.Contains(" HTTP/1.1\r\n", StringComparison.Ordinal) && Interlocked.Decrement(ref _failNext) >= 0)
                {
                    await reply.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
                    continue;
                }

                if (HideMultiRange && text.Contains("\r\nRange: bytes=", StringComparison.Ordinal))
                {
                    var start = text.IndexOf("\r\nRange: bytes=", StringComparison.Ordinal) + 2;
                    var end = text.IndexOf("\r\n", start, StringComparison.Ordinal);
                    if (text[start..end].Contains(',')) buffer[start] = (byte)'X'; // "Xange": the registry ignores it
                }

                await to.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpResponsesAsync(NetworkStream from, NetworkStream to, TcpClient client, TcpClient upstream)
    {
        var buffer = new byte[16384];
        long sent = 0;
        var generation = Volatile.Read(ref _armGeneration);
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                if (Volatile.Read(ref _armGeneration) != generation)
                {
                    generation = Volatile.Read(ref _armGeneration);
                    sent = 0; // count from the arming on
                }

                var limit = Interlocked.Read(ref _cutAfter);
                if (limit >= 0 && sent + read > limit && Interlocked.CompareExchange(ref _cutAfter, -1, limit) == limit)
                {
                    await to.WriteAsync(buffer.AsMemory(0, (int)(limit - sent)));
                    Cuts++;
                    client.Client.LingerState = new LingerOption(true, 0); // reset, as a broken network would
                    client.Close();
                    upstream.Close();
                    return;
                }

                sent += read;
                await to.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose() => _listener.Stop();
}
