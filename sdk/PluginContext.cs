using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Sdk;

/// <summary>What the host tells a plugin about where it runs.</summary>
public sealed record PluginContext
{
    /// <summary>The plugin's name in plugins.yaml, as chains refer to it.</summary>
    public required string Name { get; init; }

    /// <summary>The plugin's <c>settings</c> section of plugins.yaml (bind it to an options type).</summary>
    public required IConfiguration Settings { get; init; }

    /// <summary>The snapshotter's root directory; layers live in <c>snapshots/&lt;id&gt;/fs</c> below it.</summary>
    public required string SnapshotterRoot { get; init; }

    /// <summary>A directory the plugin owns for its own state and staging (<c>&lt;root&gt;/plugins/&lt;name&gt;</c>), created by the host.</summary>
    public required string StateDirectory { get; init; }

    private Meter? _meter;

    /// <summary>
    /// The meter the plugin publishes its own metrics on (System.Diagnostics.Metrics, nothing to reference). When
    /// <c>metrics_address</c> is set the host exports every instrument of it on its Prometheus endpoint, each series
    /// labelled with the plugin's name (<c>otel_scope_backend</c>). Name instruments as Prometheus should show them
    /// (<c>myplugin_bytes_fetched</c>); durations as histograms in milliseconds with unit <c>ms</c>.
    /// </summary>
    /// <remarks>A context made without one (tests, settings checks) gets a meter of its own that nobody exports.</remarks>
    public Meter Meter
    {
        get => _meter ??= new Meter("PluggableSnapshotter.Unexported." + Name);
        init => _meter = value;
    }
}
