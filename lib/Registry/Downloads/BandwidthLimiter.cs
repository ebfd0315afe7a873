namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// A token bucket in bytes per second shared by the downloads that take it: a request waits until the bucket has paid
/// for its bytes. The bucket holds at most one second of budget, so an idle period does not allow a burst beyond that.
/// </summary>
public sealed class BandwidthLimiter : IDownloadGate
{
    private readonly Lock _lock = new();
    private readonly long _bytesPerSecond;
    private readonly TimeProvider _time;
    private double _available;
    private long _lastRefill;

    /// <param name="bytesPerSecond">The cap; must be positive.</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    public BandwidthLimiter(long bytesPerSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bytesPerSecond = bytesPerSecond;
        _time = time ?? TimeProvider.System;
        _available = bytesPerSecond;
        _lastRefill = _time.GetTimestamp();
    }

    /// <summary>The cap in bytes per second.</summary>
    public long BytesPerSecond => _bytesPerSecond;

    /// <summary>Waits until <paramref name="bytes"/> may be transferred, then takes them from the bucket.</summary>
    public async Task WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        TimeSpan delay;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _available = Math.Min(_bytesPerSecond, _available + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _bytesPerSecond));
            _lastRefill = now;
            // Taken now even when it leaves the bucket in debt: the debt is the wait, and later callers queue behind it.
            _available -= bytes;
            delay = _available >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_available / _bytesPerSecond);
        }
        if (delay > TimeSpan.Zero) await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
    }
}
