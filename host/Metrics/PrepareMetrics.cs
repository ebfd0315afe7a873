using System.Diagnostics.Metrics;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// The host's own instruments: Prepare outcomes per role and reason, and their durations, each labelled with the
/// backend and chain, so an A/B of chains reads straight off a dashboard. Recorded whether or not metrics are exported
/// (an instrument nobody listens to costs a branch).
/// </summary>
internal sealed class PrepareMetrics : IDisposable
{
    /// <summary>The host meter's name; plugins' meters are named <see cref="PluginMeters.Prefix"/> + plugin.</summary>
    public const string MeterName = "PluggableSnapshotter.Host";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _outcomes;
    private readonly Histogram<double> _durations;

    public PrepareMetrics()
    {
        _outcomes = _meter.CreateCounter<long>("pluggable_snapshotter_prepare_total", description:
            "Remote Prepares by the role that made the layer available (lazy, parallel, local, containerd) and why it was not lazy");
        _durations = _meter.CreateHistogram<double>(MetricNames.PrepareDuration, "ms",
            "Duration of remote Prepares: a lazy mount, or a whole layer pulled and unpacked");
    }

    /// <summary>The meter the instruments belong to (tests listen to this one instance).</summary>
    public Meter Meter => _meter;

    /// <summary>Records one Prepare (called from one place: where the chain's outcome is decided).</summary>
    public void Record(PrepareOutcome outcome)
    {
        var backend = new KeyValuePair<string, object?>("backend", outcome.Backend ?? "");
        var chain = new KeyValuePair<string, object?>("chain", outcome.Chain ?? "");
        var role = new KeyValuePair<string, object?>("role", outcome.Role);
        _outcomes.Add(1, role, new KeyValuePair<string, object?>("reason", outcome.Reason), backend, chain);
        _durations.Record(outcome.Duration.TotalMilliseconds, role, backend, chain);
    }

    public void Dispose() => _meter.Dispose();
}
