using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Tar;

namespace PluggableSnapshotter.Layers.Apply;

/// <summary>The times containerd's applier gives an entry: atime is the later of the header's atime and mtime, and
/// both are bounded to what a Unix nanosecond count holds (earlier or later becomes the epoch, containerd's boundTime).</summary>
internal static class TarTimes
{
    private const long NanosPerSecond = 1_000_000_000;
    private const long MaxSeconds = long.MaxValue / NanosPerSecond; // time.Unix(0, 1<<63-1): 2262-04-11

    public static (Timespec Accessed, Timespec Modified) Of(TarHeader entry)
    {
        var modified = Normalize(entry.ModTimeSeconds, entry.ModTimeNanos);
        var accessed = modified;
        if (entry.AccessTime is { } header)
        {
            var candidate = Normalize(header.Seconds, header.Nanos);
            if (Compare(candidate, modified) > 0) accessed = candidate;
        }

        return (Bound(accessed), Bound(modified));
    }

    // Go's time.Unix: nanoseconds outside [0, 1e9) carry into the seconds.
    private static (long Seconds, long Nanos) Normalize(long seconds, long nanos)
    {
        seconds += Math.DivRem(nanos, NanosPerSecond, out var rest);
        if (rest < 0)
        {
            rest += NanosPerSecond;
            seconds--;
        }

        return (seconds, rest);
    }

    private static int Compare((long Seconds, long Nanos) a, (long Seconds, long Nanos) b) =>
        a.Seconds != b.Seconds ? a.Seconds.CompareTo(b.Seconds) : a.Nanos.CompareTo(b.Nanos);

    private static Timespec Bound((long Seconds, long Nanos) t)
    {
        var tooLate = t.Seconds > MaxSeconds || (t.Seconds == MaxSeconds && t.Nanos > long.MaxValue % NanosPerSecond);
        return t.Seconds < 0 || tooLate ? default : new Timespec(t.Seconds, t.Nanos);
    }
}
