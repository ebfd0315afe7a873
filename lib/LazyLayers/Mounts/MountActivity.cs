namespace PluggableSnapshotter.LazyLayers.Mounts;

/// <summary>
/// When a backend last began a layer mount (a Prepare of a lazy layer): work that can wait, waits until a pull's
/// Prepares (which come one after another) have passed instead of taking the CPUs from them and from the container that
/// follows: the background fill (<see cref="Fill.BackgroundFill"/>) and soci's warm-up fill, which with the daemon started
/// just before a pull cost the pull of bench/lazy's large image about 0.1 s on 2 CPUs.
/// </summary>
public sealed class MountActivity(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _lastMount = long.MinValue;

    /// <summary>A mount begins now.</summary>
    public void MountStarted() => Interlocked.Exchange(ref _lastMount, _time.GetTimestamp());

    /// <summary>
    /// Returns once no mount has begun for <paramref name="quiet"/> (at once when none ever did), or after
    /// <paramref name="longest"/> whatever happens.
    /// </summary>
    public async Task WaitQuietAsync(TimeSpan quiet, TimeSpan longest, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var last = Interlocked.Read(ref _lastMount);
            var since = last == long.MinValue ? TimeSpan.MaxValue : _time.GetElapsedTime(last);
            var waited = _time.GetElapsedTime(started);
            if (since >= quiet || waited >= longest) return;
            var wait = quiet - since < longest - waited ? quiet - since : longest - waited;
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
