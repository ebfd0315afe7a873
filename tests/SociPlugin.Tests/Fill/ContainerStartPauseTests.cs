using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport.Time;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>The pause a container start (or removal) puts on the background fill, on a clock that moves only when the test says.</summary>
public sealed class ContainerStartPauseTests
{
    private static readonly TimeSpan Length = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);
    private readonly ManualClock _clock = new();

    [Fact]
    public void Holding_NoContainerStarted_IsFalseAndWaitsReturnAtOnce()
    {
        var pause = new ContainerStartPause(Length, _clock);

        Assert.False(pause.Holding);
        Assert.True(CompletedAtOnce(pause.WaitAsync(CancellationToken.None)));
        Assert.True(((IDownloadGate)pause).WaitAsync(1 << 20, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public void Holding_AfterContainerStarting_TrueUntilTheLengthHasPassed()
    {
        var pause = new ContainerStartPause(Length, _clock);

        pause.ContainerStarting();
        Assert.True(pause.Holding);
        _clock.Advance(Length - TimeSpan.FromMilliseconds(1));
        Assert.True(pause.Holding);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(pause.Holding);
    }

    [Fact]
    public void Holding_AfterContainerRemoved_TrueUntilTheLengthHasPassedAndBusyThen()
    {
        var pause = new ContainerStartPause(Length, _clock);

        pause.ContainerRemoved();
        Assert.True(pause.Holding);
        Assert.False(pause.QuietFor(TimeSpan.FromMilliseconds(1)));
        _clock.Advance(Length);
        Assert.False(pause.Holding);
        Assert.True(pause.QuietFor(Length));
    }

    [Fact]
    public void ContainerStarting_DuringAPause_ExtendsItToTheLengthFromTheSecondStart()
    {
        var pause = new ContainerStartPause(Length, _clock);

        pause.ContainerStarting();
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        pause.ContainerStarting();
        _clock.Advance(TimeSpan.FromMilliseconds(300)); // 600 ms after the first start, 300 after the second
        Assert.True(pause.Holding);
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(pause.Holding);
    }

    [Fact]
    public async Task WaitAsync_DuringAPause_CompletesOnlyOnceItIsOver()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();

        var wait = pause.WaitAsync(CancellationToken.None).AsTask();
        Assert.True(await StillWaitingAsync(wait));
        _clock.Advance(Length - TimeSpan.FromMilliseconds(1));
        Assert.True(await StillWaitingAsync(wait));
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        await wait.WaitAsync(Bounded);
    }

    [Fact]
    public async Task WaitAsync_PauseExtendedWhileWaiting_CompletesAtTheNewEnd()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();
        var wait = pause.WaitAsync(CancellationToken.None).AsTask();

        _clock.Advance(TimeSpan.FromMilliseconds(300));
        pause.ContainerStarting(); // now ends 800 ms after the first start
        _clock.Advance(TimeSpan.FromMilliseconds(200)); // the first end: the wait must look again
        Assert.True(await StillWaitingAsync(wait));
        _clock.Advance(TimeSpan.FromMilliseconds(300));

        await wait.WaitAsync(Bounded);
    }

    [Fact]
    public async Task GateWaitAsync_DuringAPause_HoldsTheRequestUntilItIsOver()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();

        var request = ((IDownloadGate)pause).WaitAsync(8 << 20, CancellationToken.None);
        _clock.Advance(Length / 2);
        Assert.True(await StillWaitingAsync(request));
        _clock.Advance(Length / 2);

        await request.WaitAsync(Bounded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ContainerStarting_NoLength_NeverHolds(int milliseconds)
    {
        var pause = new ContainerStartPause(TimeSpan.FromMilliseconds(milliseconds), _clock);

        pause.ContainerStarting();

        Assert.False(pause.Holding);
        Assert.True(CompletedAtOnce(pause.WaitAsync(CancellationToken.None)));
        Assert.True(((IDownloadGate)pause).WaitAsync(1, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_CancelledDuringAPause_ThrowsOperationCanceledAndThePauseGoesOn()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();
        using var cancellation = new CancellationTokenSource();

        var wait = pause.WaitAsync(cancellation.Token).AsTask();
        var request = ((IDownloadGate)pause).WaitAsync(1, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Bounded));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(Bounded));
        Assert.True(pause.Holding);
    }

    [Fact]
    public void WaitForQuietAsync_NothingStartedOrBusy_ReturnsAtOnce()
    {
        var pause = new ContainerStartPause(Length, _clock);

        Assert.True(pause.WaitForQuietAsync(Quiet, Longest, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForQuietAsync_AfterAStart_ReturnsOnlyOnceNothingStartedForTheQuietLength()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();

        var wait = pause.WaitForQuietAsync(Quiet, Longest, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await StillWaitingAsync(wait));
        pause.ContainerStarting(); // the quiet counts from here now
        _clock.Advance(TimeSpan.FromSeconds(2)); // 4 s after the first start, 2 after the second
        Assert.True(await StillWaitingAsync(wait));
        _clock.Advance(TimeSpan.FromSeconds(1));

        await wait.WaitAsync(Bounded);
    }

    [Fact]
    public async Task NoteBusy_IsNoPauseButPutsTheQuietOff()
    {
        var pause = new ContainerStartPause(Length, _clock);

        pause.NoteBusy();
        Assert.False(pause.Holding);
        var wait = pause.WaitForQuietAsync(Quiet, Longest, CancellationToken.None);
        _clock.Advance(Quiet - TimeSpan.FromMilliseconds(1));
        Assert.True(await StillWaitingAsync(wait));
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        await wait.WaitAsync(Bounded);
    }

    [Fact]
    public async Task WaitForQuietAsync_StartsThatNeverStop_ReturnsAfterTheLongestWait()
    {
        var pause = new ContainerStartPause(Length, _clock);
        pause.ContainerStarting();

        var wait = pause.WaitForQuietAsync(Quiet, Longest, CancellationToken.None);
        for (var passed = TimeSpan.Zero; passed < Longest - TimeSpan.FromSeconds(1); passed += TimeSpan.FromSeconds(1))
        {
            Assert.True(await StillWaitingAsync(wait));
            pause.ContainerStarting();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.True(await StillWaitingAsync(wait));
        pause.ContainerStarting(); // 9 s in: quiet would come at 12 s
        _clock.Advance(TimeSpan.FromSeconds(1)); // the longest wait is over, though a container started a second ago

        await wait.WaitAsync(Bounded);
    }

    private static bool CompletedAtOnce(ValueTask wait) => wait.IsCompletedSuccessfully;

    /// <summary>
    /// True when <paramref name="wait"/> has not completed a moment after the clock moved (what the timers woke resumes on
    /// the thread pool) and has set its next timer, so that the test's next move of the clock is one it sees.
    /// </summary>
    private async Task<bool> StillWaitingAsync(Task wait)
    {
        await Task.WhenAny(wait, Task.Delay(200));
        for (var waited = 0; !wait.IsCompleted && _clock.PendingTimers == 0 && waited < 100; waited++) await Task.Delay(100);
        return !wait.IsCompleted;
    }
}
