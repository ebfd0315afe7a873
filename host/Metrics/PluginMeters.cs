using System.Diagnostics.Metrics;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// The meter each plugin publishes on (handed over in its <c>PluginContext.Meter</c>): named after the plugin and tagged
/// <c>backend=NAME</c>, so every series a plugin records carries its backend (exported as <c>otel_scope_backend</c>)
/// without the plugin referencing any metrics library.
/// </summary>
internal static class PluginMeters
{
    /// <summary>Every plugin meter's name starts with this; the exporter listens to <c>Prefix*</c>.</summary>
    public const string Prefix = "PluggableSnapshotter.Backend.";

    public static Meter Create(string plugin) =>
        new(new MeterOptions(Prefix + plugin) { Tags = [new KeyValuePair<string, object?>("backend", plugin)] });
}
