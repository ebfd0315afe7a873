using System.Diagnostics.Metrics;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// Durations of containerd's calls to the snapshots service, per method and status code: what a container start costs
/// on our side of the proxy (Stat, Prepare, Mounts of its rw snapshot), beside what containerd's own overlayfs spends in
/// process. Recorded whether or not metrics are exported (an instrument nobody listens to costs a branch).
/// </summary>
internal sealed class CallMetrics : IDisposable
{
    private readonly Meter _meter = new(PrepareMetrics.MeterName);
    private readonly Histogram<double> _durations;

    public CallMetrics()
    {
        _durations = _meter.CreateHistogram<double>(MetricNames.CallDuration, "ms",
            "Duration of snapshots API calls from containerd, from the request decoded to the answer ready");
    }

    /// <summary>The meter the instrument belongs to (tests listen to this one instance).</summary>
    public Meter Meter => _meter;

    /// <summary>Records one call: <paramref name="method"/> is the gRPC method's short name (Prepare, Mounts, ...).</summary>
    public void Record(string method, string code, TimeSpan duration) =>
        _durations.Record(duration.TotalMilliseconds, new KeyValuePair<string, object?>("method", method),
            new KeyValuePair<string, object?>("code", code));

    public void Dispose() => _meter.Dispose();
}
