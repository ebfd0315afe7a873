using System.Diagnostics;
using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Every <see cref="IdleTrimPolicy.Period"/>, asks <see cref="IdleTrimPolicy"/> whether the daemon has gone quiet after
/// a busy spell, and if so runs one aggressive (compacting, decommitting) collection, so the resident set falls back
/// towards the bounds plugins are configured with once their work (mounted images, span caches) is gone (issue 15).
/// </summary>
internal sealed partial class IdleMemoryTrimmer : BackgroundService
{
    private readonly TimeProvider _time;
    private readonly Func<long> _allocatedBytes;
    private readonly Action _trim;
    private readonly IdleTrimPolicy _policy;

    public IdleMemoryTrimmer(TimeProvider time, ILogger<IdleMemoryTrimmer> logger)
        : this(time, IdleTrimPolicy.Default, () => GC.GetTotalAllocatedBytes(), () => Trim(logger))
    {
    }

    /// <summary>With the allocation counter and the trim itself given (tests drive it with a manual clock).</summary>
    internal IdleMemoryTrimmer(TimeProvider time, IdleTrimPolicy policy, Func<long> allocatedBytes, Action trim)
    {
        _time = time;
        _policy = policy;
        _allocatedBytes = allocatedBytes;
        _trim = trim;
    }

    /// <summary>Called after each check (tests wait on it instead of on time).</summary>
    internal Action? TickDone { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var atTrim = _allocatedBytes();
        var atLastCheck = atTrim;
        using var timer = new PeriodicTimer(_policy.Period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _allocatedBytes();
                if (_policy.ShouldTrim(atTrim, atLastCheck, now))
                {
                    _trim();
                    now = _allocatedBytes();
                    atTrim = now;
                }
                atLastCheck = now;
                TickDone?.Invoke();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private static void Trim(ILogger logger)
    {
        var before = Environment.WorkingSet;
        var started = Stopwatch.GetTimestamp();
        // Pools that let go of idle arrays after full collections (the plugins' range buffers) do so in finalizers:
        // two plain full collections let them run and drop what they held, before the compacting one returns it.
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
            GC.WaitForPendingFinalizers();
        }
        // Aggressive: compacts every generation including the large object heap and decommits what is free.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        LogTrimmed(logger, before >> 20, Environment.WorkingSet >> 20, GC.GetGCMemoryInfo().HeapSizeBytes >> 20, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "idle after work: resident set {BeforeMiB} MiB -> {AfterMiB} MiB (managed heap {HeapMiB} MiB) in {Milliseconds} ms")]
    private static partial void LogTrimmed(ILogger logger, long beforeMiB, long afterMiB, long heapMiB, long milliseconds);
}
