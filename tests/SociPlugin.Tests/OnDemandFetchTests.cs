using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>On-demand range reads against registries that misbehave, on a loopback socket of the test's own.</summary>
public sealed class OnDemandFetchTests : IAsyncDisposable
{
    private static readonly OciDigest Blob = OciDigest.Compute("blob"u8);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private int _accepted;

    public OnDemandFetchTests() => _listener.Start();

    private ImageReference Repository => ImageReference.Parse($"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/test/hung:v1");

    [Fact]
    public async Task GetRangeAsync_RegistryAcceptsButNeverAnswers_FailsWithIOExceptionWithinTheDeadlineAfterRetrying()
    {
        _ = ServeAsync(answer: null);
        using var registry = new RegistryClient();
        var fetch = new OnDemandFetch(registry, new FetchOptions { AttemptTimeoutMilliseconds = 300, TimeoutMilliseconds = 3000, RetryDelayMilliseconds = 50 });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<IOException>(() => fetch.GetRangeAsync(Repository, Blob, new ByteRange(0, 10), CancellationToken.None));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(30)); // loose: CI runs loaded; hanging is what fails
        Assert.Contains("within 3000 ms", error.Message, StringComparison.Ordinal);
        var attempts = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, @"\((\d+) attempts").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(attempts >= 2, error.Message); // a timed-out attempt is tried again within the deadline
    }

    [Fact]
    public async Task GetRangeAsync_RegistrySaysNotFound_FailsAtOnceWithoutRetrying()
    {
        _ = ServeAsync(answer: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        using var registry = new RegistryClient();
        var fetch = new OnDemandFetch(registry, new FetchOptions { AttemptTimeoutMilliseconds = 2000, TimeoutMilliseconds = 10000 });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RegistryException>(() => fetch.GetRangeAsync(Repository, Blob, new ByteRange(0, 10), CancellationToken.None));

        Assert.True(error.IsNotFound);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task GetRangeAsync_ReaderCancels_StopsAtOnce()
    {
        _ = ServeAsync(answer: null);
        using var registry = new RegistryClient();
        var fetch = new OnDemandFetch(registry, new FetchOptions { AttemptTimeoutMilliseconds = 5000, TimeoutMilliseconds = 30000 });
        using var reader = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.GetRangeAsync(Repository, Blob, new ByteRange(0, 10), reader.Token));
    }

    /// <summary>Accepts every connection; answers each request with <paramref name="answer"/>, or never (null).</summary>
    private async Task ServeAsync(string? answer)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                lock (_connections) _connections.Add(client);
                if (answer is null) continue;
                _ = Task.Run(async () =>
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    while (await stream.ReadAsync(buffer, _stop.Token) > 0)
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            // The test is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections) _connections.ForEach(c => c.Dispose());
        _stop.Dispose();
    }
}
