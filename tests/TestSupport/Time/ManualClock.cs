namespace PluggableSnapshotter.TestSupport.Time;

/// <summary>
/// A clock that moves only when told: its timestamps (<see cref="GetTimestamp"/>, in ticks) and wall time advance
/// together, and the timers made from it (<see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>) fire as
/// <see cref="Advance"/> passes their due times, on the caller's thread (what awaited them may resume a moment later, on
/// the thread pool).
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private long _ticks = TimeSpan.TicksPerDay; // not 0: code under test must not read meaning into a zero timestamp

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_lock) return _ticks;
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return Epoch.AddTicks(_ticks);
    }

    /// <summary>Timers made from this clock that are due to fire: someone waits on the clock.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_lock) return _timers.Count(t => t.DueAt is not null);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_lock) _timers.Add(timer);
        return timer;
    }

    /// <summary>Moves the clock on by <paramref name="by"/>, firing each timer due by then (outside the lock).</summary>
    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            _ticks += by.Ticks;
            due = [.. _timers.Where(t => t.DueAt is { } at && at <= _ticks).OrderBy(t => t.DueAt)];
            foreach (var timer in due) timer.Fired();
        }
        foreach (var timer in due) timer.Invoke();
    }

    private void Remove(ManualTimer timer)
    {
        lock (_lock) _timers.Remove(timer);
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _period = -1;

        /// <summary>The timestamp at which it fires next; null when stopped.</summary>
        public long? DueAt { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                _period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? -1 : period.Ticks;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock._ticks + dueTime.Ticks;
            }
            return true;
        }

        public void Fired() => DueAt = _period < 0 ? null : DueAt + _period;

        public void Invoke() => callback(state);

        public void Dispose() => clock.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
