namespace PluggableSnapshotter.Layers.Native;

/// <summary>Sets access and modification times with nanosecond precision, on a path without following links.</summary>
internal static unsafe class FileTimes
{
    public static void SetNoFollow(string path, DateTimeOffset accessed, DateTimeOffset modified)
    {
        var times = stackalloc Libc.Timespec[2];
        times[0] = ToTimespec(accessed);
        times[1] = ToTimespec(modified);
        Libc.Check(Libc.utimensat(Libc.AtFdCwd, path, times, Libc.AtSymlinkNoFollow), "utimensat", path);
    }

    /// <summary>A time as the kernel takes it: seconds and nanoseconds since the epoch (the nanoseconds never negative).</summary>
    public static Libc.Timespec ToTimespec(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new Libc.Timespec { Seconds = seconds, Nanoseconds = remainder * 100 };
    }
}
