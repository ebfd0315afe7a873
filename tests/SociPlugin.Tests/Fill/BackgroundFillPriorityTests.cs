using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// <c>background_fill.nice</c>: the fill's unpack (digest check, decompression, writes) runs that much below the
/// daemon's CPU priority, its range requests at the daemon's own. Seen from inside each: the applier's log line at the
/// end of the unpack, and the gate every range request passes (root only: the applier sets ownership; lowering and
/// raising a thread's priority back needs CAP_SYS_NICE).
/// </summary>
public sealed class BackgroundFillPriorityTests : IDisposable
{
    private readonly OneLayerToFill _layer = new("background-fill-priority-");

    public void Dispose() => _layer.Dispose();

    [RootOnlyFact]
    public async Task Fill_WithNice_UnpacksBelowTheDaemonsPriorityAndFetchesAtIt()
    {
        var (unpack, requests) = await FillAsync(nice: 7);

        Assert.Equal(Math.Min(19, BackgroundCpuPriority.ProcessNice + 7), unpack);
        Assert.NotEmpty(requests);
        Assert.All(requests, nice => Assert.Equal(BackgroundCpuPriority.ProcessNice, nice));
    }

    [RootOnlyFact]
    public async Task Fill_WithNiceZero_UnpacksAtTheDaemonsPriority()
    {
        var (unpack, _) = await FillAsync(nice: 0);

        Assert.Equal(BackgroundCpuPriority.ProcessNice, unpack);
    }

    private async Task<(int Unpack, IReadOnlyCollection<int> Requests)> FillAsync(int nice)
    {
        var applierLog = new NiceAtLogLogger();
        var gate = new NiceAtWaitGate();
        await using var rig = _layer.Rig((registry, store) => new BackgroundFill(registry, store, new LayerApplier(applierLog),
            new BackgroundFillOptions { ChunkBytes = 64 * 1024, DelayMilliseconds = 0, Nice = nice }, userXattr: false, readsFirst: gate));

        rig.Fill.Enqueue(_layer.Request(rig.Server));
        await _layer.WaitForStateAsync(rig.Store, LayerState.Local);

        Assert.Equal(_layer.File, await _layer.ReadLocalFileAsync(rig.Store));
        return (Assert.Single(applierLog.Nices), gate.Nices);
    }

    /// <summary>The nice value of the thread each message is logged on (the applier logs once, at the end of an apply).</summary>
    private sealed class NiceAtLogLogger : ILogger<LayerApplier>
    {
        public ConcurrentQueue<int> Nices { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Nices.Enqueue(BackgroundCpuPriority.CurrentThreadNice());
    }

    /// <summary>Lets every range request pass, noting the nice value of the thread it was asked on.</summary>
    private sealed class NiceAtWaitGate : IDownloadGate
    {
        private readonly ConcurrentQueue<int> _nices = new();

        public IReadOnlyCollection<int> Nices => _nices;

        public Task WaitAsync(long bytes, CancellationToken cancellationToken)
        {
            _nices.Enqueue(BackgroundCpuPriority.CurrentThreadNice());
            return Task.CompletedTask;
        }
    }
}
