using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Host.IntegrationTests.Metrics;

/// <summary>
/// Each remote Prepare is counted once with the role that made the layer available and why it was not lazy (root: the
/// real core and chain policy on tmpfs with a scripted backend).
/// </summary>
public sealed class PrepareMetricsTests
{
    private const BackendCapabilities All = BackendCapabilities.Lazy | BackendCapabilities.Parallel | BackendCapabilities.Local;

    [RootOnlyFact]
    public Task Prepare_LazyMounted_RecordedAsLazy() => AssertRecordedAsync("mounted", "lazy", PrepareOutcome.NoReason);

    [RootOnlyFact]
    public Task Prepare_NoZtoc_RecordedAsLocalForNoZtoc() => AssertRecordedAsync("no-ztoc", "local", PrepareOutcome.NoZtoc);

    [RootOnlyFact]
    public Task Prepare_NoIndexWithoutParallelBackend_RecordedAsContainerdForNoIndex() =>
        AssertRecordedAsync("no-index", PrepareOutcome.Containerd, PrepareOutcome.NoIndex, BackendCapabilities.Lazy | BackendCapabilities.Local);

    [RootOnlyFact]
    public Task Prepare_NoIndexWithParallelBackend_RecordedAsParallelForNoIndex() => AssertRecordedAsync("no-index", "parallel", PrepareOutcome.NoIndex);

    [RootOnlyFact]
    public Task Prepare_LazyDefers_RecordedAsContainerdForDefer() => AssertRecordedAsync("defer", PrepareOutcome.Containerd, PrepareOutcome.Deferred);

    [RootOnlyFact]
    public Task Prepare_LazyThrows_RecordedAsLocalForError() => AssertRecordedAsync("throws", "local", PrepareOutcome.Error);

    private static async Task AssertRecordedAsync(string lazy, string role, string reason, BackendCapabilities capabilities = All)
    {
        await using var tmpfs = await TmpfsDirectory.CreateAsync("prepare-metrics", CancellationToken.None, "64m");
        var backend = new ScriptedFileSystem(Directory.CreateDirectory(tmpfs.Combine("scratch")).FullName, capabilities)
        {
            Lazy = lazy switch
            {
                "no-ztoc" => _ => MountResult.NoZtoc("layer not indexed"),
                "no-index" => _ => MountResult.NoIndex("image has no index"),
                "defer" => _ => MountResult.Defer("encrypted"),
                "throws" => _ => throw new IOException("registry unreachable"),
                _ => _ => MountResult.Mounted,
            },
        };
        using var metrics = new PrepareMetrics();
        var recorded = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "pluggable_snapshotter_prepare_total") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => recorded.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();
        var options = new SnapshotterOptions();
        var chain = new Chain("default", [new ChainBackend("scripted", backend)], []);
        var preparer = new ChainPreparer([chain], "default", options, NullLogger<ChainPreparer>.Instance, metrics);
        var factory = new SnapshotterFactory(NullLoggerFactory.Instance, TimeProvider.System);
        await using (var snapshotter = await factory.CreateAsync(tmpfs.Combine("root"), preparer, options, CancellationToken.None))
        {
            var labels = new Dictionary<string, string>
            {
                [SnapshotLabels.TargetRef] = "sha256:aaa",
                [SnapshotLabels.CriImageRef] = "127.0.0.1:5000/app:1",
                [SnapshotLabels.CriLayerDigest] = "sha256:1111",
                [SnapshotLabels.CriManifestDigest] = "sha256:feed",
                [SnapshotLabels.CriImageLayers] = "sha256:1111",
            };
            await snapshotter.PrepareAsync("default/1/extract-1 sha256:aaa", "", labels, null, CancellationToken.None);
        }

        var (value, tags) = Assert.Single(recorded);
        Assert.Equal(1, value);
        Assert.Equal(role, tags["role"]);
        Assert.Equal(reason, tags["reason"]);
    }
}
