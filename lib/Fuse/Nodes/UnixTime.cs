namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A file time as the kernel keeps it: whole seconds since the Unix epoch and nanoseconds into that second
/// (<c>struct timespec</c>, <c>fuse_attr.mtime</c> + <c>mtimensec</c>). Layer formats record nanoseconds (PAX
/// <c>mtime=1700000000.123456789</c>, RFC 3339 with nine fraction digits in zTOCs and eStargz TOCs) and containerd's
/// applier keeps them, so a served tree must too; <see cref="DateTimeOffset"/> holds only 100 ns ticks.
/// </summary>
public readonly record struct UnixTime
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>1970-01-01T00:00:00Z, also the default value.</summary>
    public static UnixTime Epoch => default;

    /// <param name="seconds">Seconds since the epoch; negative before 1970.</param>
    /// <param name="nanoseconds">Nanoseconds into the second, 0 to 999,999,999 (always counted forward, also before 1970).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nanoseconds"/> is a second or more.</exception>
    public UnixTime(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nanoseconds, (uint)NanosecondsPerSecond);
        (Seconds, Nanoseconds) = (seconds, nanoseconds);
    }

    /// <summary>Whole seconds since the epoch (tv_sec).</summary>
    public long Seconds { get; }

    /// <summary>Nanoseconds into <see cref="Seconds"/> (tv_nsec), below one second.</summary>
    public uint Nanoseconds { get; }

    /// <summary>Converts a <see cref="DateTimeOffset"/> (100 ns ticks) at an edge that has no finer time.</summary>
    public static UnixTime FromDateTimeOffset(DateTimeOffset time)
    {
        long seconds = Math.DivRem(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, TimeSpan.TicksPerSecond, out long ticks);
        if (ticks < 0)
        {
            seconds--;
            ticks += TimeSpan.TicksPerSecond;
        }

        return new UnixTime(seconds, (uint)(ticks * 100));
    }

    /// <summary>tv_sec and tv_nsec as <c>1700000000.123456789</c> (before 1970 the fraction still counts forward from tv_sec).</summary>
    public override string ToString() => $"{Seconds}.{Nanoseconds:D9}";
}
