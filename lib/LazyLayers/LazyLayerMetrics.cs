using System.Diagnostics.Metrics;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers;

/// <summary>
/// A lazy backend's metrics (soci's and estargz's), on the meter the host hands it (PluginContext.Meter; the host labels every series with
/// the backend). SOCI's names where SOCI has one, so its dashboards carry over: <c>soci_fs_operation_duration_milliseconds</c>
/// and <c>soci_fs_operation_count</c> by <c>operation_type</c>, <c>soci_fs_background_fetch_work_queue_size</c>; the
/// rest are read when scraped (span cache, store, FUSE operations by opcode), so nothing is counted twice.
/// </summary>
public sealed class LazyLayerMetrics
{
    // SOCI's operation_type values (fs/metrics/common).
    public const string Mount = "mount";
    public const string RemoteRegistryGet = "remote_registry_get";
    public const string BackgroundFetch = "background_fetch";

    private readonly Histogram<double> _durations;
    private readonly Counter<long> _operations;
    private readonly FetchedBytes _fetched;
    private readonly Counter<long> _decompressions;
    private readonly Counter<long> _decompressedBytes;
    private readonly Counter<long> _servedBytes;
    private readonly LayerStore _store;
    private readonly Meter _meter;

    public LazyLayerMetrics(Meter meter, SpanCache spans, LayerStore store)
    {
        ArgumentNullException.ThrowIfNull(meter);
        (_meter, _store) = (meter, store);
        _durations = meter.CreateHistogram<double>("soci_fs_operation_duration_milliseconds", "ms",
            "Latency of soci operations: mount, remote_registry_get (an on-demand range request), background_fetch (a whole layer made local)");
        _operations = meter.CreateCounter<long>("soci_fs_operation_count", description:
            "Count of soci operations and failures by operation_type (on_demand_remote_registry_fetch_count, fuse_mount_failure_count, background_fetch_failure_count, ...)");
        _fetched = new FetchedBytes(meter);
        _decompressions = meter.CreateCounter<long>("soci_span_decompressions", description: "Spans decompressed for on-demand reads (each at most once per layer while its decompressed spans are kept on disk)");
        _decompressedBytes = meter.CreateCounter<long>("soci_span_decompressed_bytes", "By", "Uncompressed bytes produced by decompressing spans for on-demand reads");
        _servedBytes = meter.CreateCounter<long>("soci_content_read_bytes", "By",
            "Bytes on-demand reads returned, by source: decompressed (a span decompressed or in the span cache), disk (the layer's decompressed spans on disk)");
        meter.CreateObservableCounter("soci_span_cache_hits", () => spans.Hits, description: "Reads whose span was in the span cache (or being fetched)");
        meter.CreateObservableCounter("soci_span_cache_misses", () => spans.Misses, description: "Reads that fetched their span");
        meter.CreateObservableGauge("soci_span_cache_bytes", () => spans.Bytes, "By", "Decompressed bytes held in the span cache");
        meter.CreateObservableCounter("soci_span_buffers_allocated", () => spans.ArraysAllocated,
            description: "Arrays allocated for decompressed spans (the rest reused a spare: span_buffers_reused)");
        meter.CreateObservableCounter("soci_span_buffers_reused", () => spans.ArraysReused, description: "Spans decompressed into the array of one evicted before");
        meter.CreateObservableGauge("soci_fs_background_fetch_work_queue_size", () => store.CountIn(LayerState.Queued),
            description: "Layers waiting for the background fill");
        meter.CreateObservableGauge("soci_store_layers", StoreLayers, description: "Layers in the local store by state (queued, filling, local, failed)");
        meter.CreateObservableGauge("soci_store_fill_bytes", FillBytes, "By", "Compressed bytes of stored layers local so far (state=local) and in all (state=total): the fill's progress");
        meter.CreateObservableGauge("pluggable_snapshotter_store_bytes", () => store.DiskBytes, "By", "Bytes the backend's local store holds on disk or has reserved");
        meter.CreateObservableCounter("fuse_operations", FuseAnswered, description: "FUSE requests answered, by opcode");
        meter.CreateObservableCounter("fuse_operation_failures", FuseFailed, description: "FUSE requests answered with EIO, by opcode");
    }

    /// <summary>Layers mounted by this backend now (set once the file system exists).</summary>
    public void ObserveMountedLayers(Func<int> count) =>
        _meter.CreateObservableGauge("pluggable_snapshotter_layers_mounted", count, description: "Layers the backend serves lazily now");

    public void RecordDuration(string operation, TimeSpan elapsed) =>
        _durations.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("operation_type", operation));

    public void Count(string operation) => _operations.Add(1, new KeyValuePair<string, object?>("operation_type", operation));

    /// <summary>Compressed bytes fetched from the registry; <paramref name="kind"/> is on_demand, background or whole_layer.</summary>
    public void Fetched(string kind, long bytes) => _fetched.Add(kind, bytes);

    /// <summary>A span of <paramref name="bytes"/> uncompressed bytes was decompressed for a read.</summary>
    public void SpanDecompressed(long bytes)
    {
        _decompressions.Add(1);
        _decompressedBytes.Add(bytes);
    }

    /// <summary>A read returned <paramref name="bytes"/> from <paramref name="source"/>.</summary>
    public void ContentRead(long bytes, ContentSource source) =>
        _servedBytes.Add(bytes, new KeyValuePair<string, object?>("source", source switch
        {
            ContentSource.Disk => "disk",
            ContentSource.Unpacked => "unpacked",
            _ => "decompressed",
        }));

    private IEnumerable<Measurement<int>> StoreLayers() =>
        new[] { LayerState.Queued, LayerState.Filling, LayerState.Local, LayerState.Failed }
            .Select(state => new Measurement<int>(_store.CountIn(state), new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant())));

    private IEnumerable<Measurement<long>> FillBytes()
    {
        var (local, total) = _store.FillProgress();
        return [new(local, new KeyValuePair<string, object?>("state", "local")), new(total, new KeyValuePair<string, object?>("state", "total"))];
    }

    private static IEnumerable<Measurement<long>> FuseAnswered() =>
        FuseOperationCounts.Read().Select(c => new Measurement<long>(c.Answered, new KeyValuePair<string, object?>("opcode", c.Opcode)));

    private static IEnumerable<Measurement<long>> FuseFailed() =>
        FuseOperationCounts.Read().Select(c => new Measurement<long>(c.Failed, new KeyValuePair<string, object?>("opcode", c.Opcode)));
}
