using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;

namespace PluggableSnapshotter.LazyLayers.Mounts;

/// <summary>
/// Where one Prepare of a lazy layer spent its time: named phases in order (discovery, index, tree, FUSE mount, ...) and
/// the JIT work the process did meanwhile. The first Prepare after a start pays for compiling whatever ReadyToRun code
/// does not cover, so the JIT figures tell a cold path from a slow one. The JIT counters are process-wide: work running
/// beside the Prepare (a fill, another Prepare) counts too.
/// </summary>
public sealed class MountTimes
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly long _jitMethods = JitInfo.GetCompiledMethodCount();
    private readonly TimeSpan _jitTime = JitInfo.GetCompilationTime();
    private readonly List<(string Phase, long Ticks, string? Note)> _phases = [];
    private long _last;

    public MountTimes() => _last = _started;

    /// <summary>Ends the phase <paramref name="phase"/> now (it began where the previous one ended); <paramref name="note"/> qualifies it ("prefetched").</summary>
    public void Lap(string phase, string? note = null)
    {
        var now = Stopwatch.GetTimestamp();
        _phases.Add((phase, now - _last, note));
        _last = now;
    }

    /// <summary>Milliseconds since this was made.</summary>
    public long TotalMilliseconds => (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds;

    /// <summary>The phases' milliseconds in a form a bench script can take apart: <c>discovery 60 ms, zTOC 7 ms (prefetched); jit 300 methods in 120 ms</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (phase, ticks, note) in _phases)
        {
            if (text.Length > 0) text.Append(", ");
            text.Append(CultureInfo.InvariantCulture, $"{phase} {(long)(ticks * 1000.0 / Stopwatch.Frequency)} ms");
            if (note is not null) text.Append(CultureInfo.InvariantCulture, $" ({note})");
        }
        var methods = JitInfo.GetCompiledMethodCount() - _jitMethods;
        var jit = JitInfo.GetCompilationTime() - _jitTime;
        text.Append(CultureInfo.InvariantCulture, $"; jit {methods} methods in {(long)jit.TotalMilliseconds} ms");
        return text.ToString();
    }
}
