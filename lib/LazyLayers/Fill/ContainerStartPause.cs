using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// Holds the background fill back for a while each time a container starts on this daemon's layers, or one is removed:
/// the start (runc, the shim, overlay's mount, the first reads over FUSE) waits on the same CPUs and disk as the fill's
/// inflate, digest and unpack, and a fill running beside it made the first output of a small image ~0.1 s later on 2
/// CPUs. A removal pauses too: the next start often follows at once, and its first ~0.1 s (the client, containerd)
/// passes before its Prepare reaches us, and with a fill at full speed that Prepare came ~0.1 s late (bench/lazy's
/// README, stops 13 and 14). As a gate of the fill's range requests it holds each one back until the pause is over;
/// <see cref="WaitAsync(CancellationToken)"/> holds the unpack and the reading of responses already in flight back the
/// same way. A pause ends on its own, so however many containers start, the fill goes on. It also tells when starts
/// (and other moments noted busy) have been quiet for a while (<see cref="WaitForQuietAsync"/>), for work that may wait
/// longer than a pause.
/// </summary>
public sealed class ContainerStartPause(TimeSpan length, TimeProvider? time = null) : IDownloadGate
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _until = long.MinValue; // a timestamp of _time
    private long _lastBusy = long.MinValue; // a timestamp of _time: the last container start or NoteBusy; MinValue: none yet

    /// <summary>True while a pause holds the fill back.</summary>
    public bool Holding => _time.GetTimestamp() < Interlocked.Read(ref _until);

    /// <summary>A container is starting: the fill pauses from now until <c>length</c> has passed (a pause under way is extended).</summary>
    public void ContainerStarting() => HoldFromNow();

    /// <summary>A container was removed: the fill pauses as for a start, for the start that may follow.</summary>
    public void ContainerRemoved() => HoldFromNow();

    private void HoldFromNow()
    {
        var now = _time.GetTimestamp();
        Interlocked.Exchange(ref _lastBusy, now);
        if (length <= TimeSpan.Zero) return;
        var until = now + Ticks(length);
        var seen = Interlocked.Read(ref _until);
        while (seen < until)
        {
            var previous = Interlocked.CompareExchange(ref _until, until, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }

    /// <summary>Returns once no pause holds the fill back (at once when none does).</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken) =>
        Holding ? new ValueTask(WaitOutAsync(cancellationToken)) : ValueTask.CompletedTask;

    Task IDownloadGate.WaitAsync(long bytes, CancellationToken cancellationToken) =>
        Holding ? WaitOutAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Notes a busy moment that is no container start (nothing pauses): <see cref="WaitForQuietAsync"/> counts from it too.</summary>
    public void NoteBusy() => Interlocked.Exchange(ref _lastBusy, _time.GetTimestamp());

    /// <summary>True when neither a container started nor <see cref="NoteBusy"/> was called for <paramref name="quiet"/>.</summary>
    public bool QuietFor(TimeSpan quiet)
    {
        var last = Interlocked.Read(ref _lastBusy);
        return last == long.MinValue || _time.GetTimestamp() - last >= Ticks(quiet);
    }

    /// <summary>
    /// Returns once no container has started (nor <see cref="NoteBusy"/> been called) for <paramref name="quiet"/>, or once
    /// <paramref name="longest"/> has passed since the call, whichever comes first: containers start in bursts (a pod's,
    /// a deployment's), and work that can wait is best done between them, but not put off for ever on a node that never
    /// stops starting them.
    /// </summary>
    public async Task WaitForQuietAsync(TimeSpan quiet, TimeSpan longest, CancellationToken cancellationToken)
    {
        var giveUp = _time.GetTimestamp() + Ticks(longest);
        while (true)
        {
            var last = Interlocked.Read(ref _lastBusy);
            if (last == long.MinValue) return;
            var left = Math.Min(last + Ticks(quiet), giveUp) - _time.GetTimestamp();
            if (left <= 0) return;
            await Task.Delay(WholeMilliseconds(left), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    // Whole milliseconds, rounded up: a timer rounds down, and a wait under 1 ms would spin until the end.
    private TimeSpan WholeMilliseconds(long ticks) => TimeSpan.FromMilliseconds(Math.Ceiling(ticks * 1000.0 / _time.TimestampFrequency));

    private async Task WaitOutAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var left = Interlocked.Read(ref _until) - _time.GetTimestamp();
            if (left <= 0) return;
            await Task.Delay(WholeMilliseconds(left), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
