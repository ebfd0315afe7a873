using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a registry that can hide every <c>Range</c> header (a registry without range support)
/// and slow responses down (a pull that is still running when a test interrupts it). Records the requests it forwarded.
/// </summary>
public sealed class ThrottlingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly StringBuilder _requests = new();
    private readonly CancellationTokenSource _closed = new();

    public ThrottlingProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Rename <c>Range</c> headers so the registry answers every request with the whole blob.</summary>
    public bool HideRanges { get; set; }

    /// <summary>A pause after each 16 KiB of response (zero: none).</summary>
    public TimeSpan DelayPer16KiB { get; set; }

    /// <summary>Everything clients sent.</summary>
    public string Requests
    {
        get { lock (_requests) return _requests.ToString(); }
    }

    /// <summary>How many GET requests named the blob <paramref name="digest"/>.</summary>
    public int BlobGets(string digest) => Requests.Split("\r\n").Count(l => l.StartsWith("GET ", StringComparison.Ordinal) && l.Contains("/blobs/" + digest, StringComparison.Ordinal));

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
            var toServer = PumpRequestsAsync(client.GetStream(), upstream.GetStream());
            var toClient = PumpResponsesAsync(upstream.GetStream(), client.GetStream());
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _closed.Token)) > 0)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                lock (_requests) _requests.Append(text);
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

    private async Task PumpResponsesAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _closed.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), _closed.Token);
                if (DelayPer16KiB > TimeSpan.Zero) await Task.Delay(DelayPer16KiB, _closed.Token);
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
}
