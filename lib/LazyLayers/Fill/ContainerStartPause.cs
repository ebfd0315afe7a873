using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// Holds the background fill back for a while each time a container starts on this daemon's layers: the start (runc,
/// the shim, overlay's mount, the first reads over FUSE) waits on the same CPUs and disk as the fill's inflate, digest
/// and unpack, and a fill running beside it made the first output of a small image ~0.1 s later on 2 CPUs. As a gate of
/// the fill's range requests it holds each one back until the pause is over; <see cref="WaitAsync(CancellationToken)"/>
/// holds the unpack and the reading of responses already in flight back the same way. A pause ends on its own, so
/// however many containers start, the fill goes on.
/// </summary>
public sealed class ContainerStartPause(TimeSpan length, TimeProvider? time = null) : IDownloadGate
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _until = long.MinValue; // a timestamp of _time

    /// <summary>True while a pause holds the fill back.</summary>
    public bool Holding => _time.GetTimestamp() < Interlocked.Read(ref _until);

    /// <summary>A container is starting: the fill pauses from now until <c>length</c> has passed (a pause under way is extended).</summary>
    public void ContainerStarting()
    {
        if (length <= TimeSpan.Zero) return;
        var until = _time.GetTimestamp() + (long)(length.TotalSeconds * _time.TimestampFrequency);
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

    private async Task WaitOutAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var left = Interlocked.Read(ref _until) - _time.GetTimestamp();
            if (left <= 0) return;
            // Whole milliseconds, rounded up: a timer rounds down, and a wait under 1 ms would spin until the end.
            var milliseconds = Math.Ceiling(left * 1000.0 / _time.TimestampFrequency);
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
