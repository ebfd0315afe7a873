using System.Diagnostics;
using System.Globalization;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Times the path from process start to the published socket, phase by phase, so a slow start says where it went
/// (runtime start-up before Main, host builder, plugin load, metadata store, Kestrel). Logged once at debug level.
/// </summary>
internal sealed class StartupClock
{
    private readonly Stopwatch _sinceMain = Stopwatch.StartNew();
    private readonly List<(string Phase, TimeSpan At)> _marks = [];
    private readonly Lock _lock = new();

    /// <summary>Notes that <paramref name="phase"/> has finished now.</summary>
    public void Mark(string phase)
    {
        lock (_lock)
        {
            _marks.Add((phase, _sinceMain.Elapsed));
        }
    }

    /// <summary>
    /// "main 61 ms, host built +38, plugins loaded +2, ..." where main is the time from exec to Main (the runtime's own
    /// start-up: from the kernel's process start time, so in 10 ms clock ticks) and each phase is its own duration.
    /// </summary>
    public string Describe()
    {
        var beforeMain = DateTime.Now - Process.GetCurrentProcess().StartTime - _sinceMain.Elapsed;
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"main {beforeMain.TotalMilliseconds:F0} ms") };
        lock (_lock)
        {
            var previous = TimeSpan.Zero;
            foreach (var (phase, at) in _marks)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{phase} +{(at - previous).TotalMilliseconds:F0}"));
                previous = at;
            }
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"total {(beforeMain + previous).TotalMilliseconds:F0} ms"));
            // What the JIT cost of it: methods without ReadyToRun code (or rejected R2R code) compiled on the way.
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms"));
        }
        return string.Join(", ", parts);
    }
}
