using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// Where one <see cref="FuseMount.MountAsync"/> spent its time, phase by phase ("numbering 2 ms, keeper 1 ms, mount 1 ms,
/// INIT 3 ms, deposit 1 ms"): a first mount that is slow shows whether the keeper, the kernel or the session's start
/// (threads, compiled code) held it up.
/// </summary>
public sealed class FuseMountPhases
{
    private readonly List<(string Phase, long Ticks)> _phases = [];
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Ends <paramref name="phase"/> now; it began where the previous one ended.</summary>
    internal void Lap(string phase)
    {
        long now = Stopwatch.GetTimestamp();
        _phases.Add((phase, now - _last));
        _last = now;
    }

    /// <summary>The time spent in <paramref name="phase"/>; zero when the mount did not go through it.</summary>
    public TimeSpan Of(string phase)
    {
        long ticks = 0;
        foreach ((string name, long spent) in _phases)
        {
            if (name == phase)
            {
                ticks += spent;
            }
        }

        return TimeSpan.FromSeconds(ticks / (double)Stopwatch.Frequency);
    }

    /// <summary>The phases in order with their milliseconds (to a tenth below 10 ms), e.g. <c>numbering 2.1 ms, keeper 0.4 ms</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach ((string phase, long ticks) in _phases)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            double milliseconds = ticks * 1000.0 / Stopwatch.Frequency;
            if (milliseconds < 10)
            {
                text.Append(CultureInfo.InvariantCulture, $"{phase} {milliseconds:0.0} ms");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"{phase} {milliseconds:0} ms");
            }
        }

        return text.ToString();
    }
}
