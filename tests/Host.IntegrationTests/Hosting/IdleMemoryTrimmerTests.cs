using System.Threading.Channels;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>
/// The trimmer's loop on a manual clock: the test moves the clock one period at a time and waits until the loop has
/// acted on the tick, so nothing depends on how fast the machine is.
/// </summary>
public sealed class IdleMemoryTrimmerTests
{
    private static readonly IdleTrimPolicy Policy = new(BusyBytes: 1000, QuietBytes: 10, Period: TimeSpan.FromSeconds(1));

    [Fact]
    public async Task ExecuteAsync_BusyThenOneQuietPeriod_TrimsAfterThatPeriod()
    {
        await using var rig = await Rig.StartAsync();
        await rig.TickAsync(allocated: 5000); // busy
        Assert.Equal(0, rig.Trims);
        await rig.TickAsync(allocated: 5005); // one quiet period
        Assert.Equal(1, rig.Trims);
    }

    [Fact]
    public async Task ExecuteAsync_StillAllocating_DoesNotTrim()
    {
        await using var rig = await Rig.StartAsync();
        for (var allocated = 5000; allocated <= 50_000; allocated += 5000) await rig.TickAsync(allocated);
        Assert.Equal(0, rig.Trims);
    }

    [Fact]
    public async Task ExecuteAsync_QuietAfterATrim_TrimsOnlyOnce()
    {
        await using var rig = await Rig.StartAsync();
        await rig.TickAsync(allocated: 5000);
        await rig.TickAsync(allocated: 5000);
        for (var i = 0; i < 10; i++) await rig.TickAsync(allocated: 5000);
        Assert.Equal(1, rig.Trims);
    }

    [Fact]
    public void Default_ChecksEverySecond_SoATrimFollowsWorkWithinTwoSeconds() =>
        Assert.True(IdleTrimPolicy.Default.Period <= TimeSpan.FromSeconds(1));

    /// <summary>A trimmer on a manual clock whose allocation counter the test sets before each tick.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly ManualTimerClock _clock = new();
        private readonly Channel<bool> _ticks = Channel.CreateUnbounded<bool>();
        private readonly IdleMemoryTrimmer _trimmer;
        private long _allocated;
        private int _trims;

        private Rig() => _trimmer = new IdleMemoryTrimmer(_clock, Policy, () => Interlocked.Read(ref _allocated), () => Interlocked.Increment(ref _trims))
        {
            TickDone = () => _ticks.Writer.TryWrite(true),
        };

        public int Trims => Volatile.Read(ref _trims);

        public static async Task<Rig> StartAsync()
        {
            var rig = new Rig();
            await rig._trimmer.StartAsync(CancellationToken.None);
            await rig._clock.FirstTimer.WaitAsync(TimeSpan.FromSeconds(30)); // the loop may start on another thread
            return rig;
        }

        /// <summary>Sets the counter, moves the clock one period on and waits until the loop has acted on the tick.</summary>
        public async Task TickAsync(long allocated)
        {
            Interlocked.Exchange(ref _allocated, allocated);
            _clock.Advance(Policy.Period);
            // Bounded only as a guard against a hung loop (it fails the test rather than blocking the run).
            await _ticks.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            await _trimmer.StopAsync(CancellationToken.None);
            _trimmer.Dispose();
        }
    }
}
