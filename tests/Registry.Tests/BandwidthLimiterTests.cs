using System.Diagnostics;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class BandwidthLimiterTests
{
    [Fact]
    public async Task WaitAsync_WithinTheFirstSecondsBudget_DoesNotWait()
    {
        var limiter = new BandwidthLimiter(1_000_000);
        var clock = Stopwatch.StartNew();

        await limiter.WaitAsync(900_000, CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task WaitAsync_PastTheBudget_WaitsForTheBytesAtTheCap()
    {
        var limiter = new BandwidthLimiter(1_000_000);
        await limiter.WaitAsync(1_000_000, CancellationToken.None); // the bucket is empty now
        var clock = Stopwatch.StartNew();

        await limiter.WaitAsync(500_000, CancellationToken.None);
        await limiter.WaitAsync(250_000, CancellationToken.None); // queues behind the first

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(650), $"750 kB at 1 MB/s took {clock.Elapsed}");
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        var limiter = new BandwidthLimiter(1000);
        await limiter.WaitAsync(1000, CancellationToken.None);
        using var cancel = new CancellationTokenSource(50);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.WaitAsync(1_000_000, cancel.Token));
    }
}
