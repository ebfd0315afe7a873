namespace PluggableSnapshotter.Host.Metrics;

/// <summary>Names whose histogram buckets the exporter sets (Prometheus' defaults suit seconds, not milliseconds).</summary>
internal static class MetricNames
{
    public const string PrepareDuration = "pluggable_snapshotter_prepare_duration_milliseconds";

    /// <summary>Every snapshots API call, by method and code; sub-millisecond buckets, as most calls are metadata only.</summary>
    public const string CallDuration = "pluggable_snapshotter_call_duration_milliseconds";

    /// <summary>Buckets for calls that usually take well under a millisecond (Stat, Mounts), up to a lazy Prepare.</summary>
    public static readonly double[] CallMillisecondBuckets =
        [0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

    /// <summary>SOCI's name, so its dashboards carry over; the soci backend records mounts, registry GETs and fills in it.</summary>
    public const string SociOperationDuration = "soci_fs_operation_duration_milliseconds";

    /// <summary>SOCI's millisecond buckets (powers of two up to 16 s), extended to 4 min for whole-layer pulls.</summary>
    public static readonly double[] MillisecondBuckets =
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144];
}
