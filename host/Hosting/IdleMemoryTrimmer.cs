using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Every <see cref="Period"/>, asks <see cref="IdleTrimPolicy"/> whether the daemon has gone quiet after a busy spell,
/// and if so runs one aggressive (compacting, decommitting) collection, so the resident set falls back towards the
/// bounds plugins are configured with once their work (mounted images, span caches) is gone (issue 15).
/// </summary>
internal sealed partial class IdleMemoryTrimmer(TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private readonly IdleTrimPolicy _policy = IdleTrimPolicy.Default;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var atTrim = GC.GetTotalAllocatedBytes();
        var atLastCheck = atTrim;
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                if (_policy.ShouldTrim(atTrim, atLastCheck, now))
                {
                    Trim();
                    now = GC.GetTotalAllocatedBytes();
                    atTrim = now;
                }
                atLastCheck = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void Trim()
    {
        var before = Environment.WorkingSet;
        // Aggressive: compacts every generation including the large object heap and decommits what is free.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        LogTrimmed(before >> 20, Environment.WorkingSet >> 20, GC.GetGCMemoryInfo().HeapSizeBytes >> 20);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "idle after work: resident set {BeforeMiB} MiB -> {AfterMiB} MiB (managed heap {HeapMiB} MiB)")]
    private partial void LogTrimmed(long beforeMiB, long afterMiB, long heapMiB);
}
