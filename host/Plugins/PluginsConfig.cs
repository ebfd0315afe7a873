using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>plugins.yaml, validated: the snapshotter options, the backend plugins and the chains that use them.</summary>
internal sealed record PluginsConfig(
    SnapshotterOptions Options,
    IReadOnlyList<PluginEntry> Plugins,
    IReadOnlyList<ChainEntry> Chains,
    string DefaultChain)
{
    /// <summary>Where the Prometheus endpoint listens (<c>metrics_address</c>); null: metrics are off.</summary>
    public Metrics.MetricsAddress? MetricsAddress { get; init; }

    /// <summary>The configuration of a plain overlayfs snapshotter: no plugins, one empty chain.</summary>
    public static PluginsConfig Empty { get; } = new(new SnapshotterOptions(), [], [new ChainEntry("default", [], [])], "default");
}

/// <summary>One backend plugin: its name (as chains refer to it), its assembly and its settings.</summary>
/// <param name="Name">The plugin's name.</param>
/// <param name="AssemblyPath">The absolute path of the plugin's main assembly.</param>
/// <param name="Settings">The plugin's settings section, flattened to configuration keys (<c>a:b:0</c>), with the line of each key.</param>
/// <param name="Line">Where the entry starts in plugins.yaml, for errors.</param>
internal sealed record PluginEntry(string Name, string AssemblyPath, PluginSettingsSection Settings, int Line);

/// <summary>A chain: backends tried in order, and the image references it applies to (none: only as the default).</summary>
/// <param name="Name">The chain's name.</param>
/// <param name="Backends">Plugin names in order.</param>
/// <param name="Images">Glob patterns on the image reference (<c>*</c> within a path segment, <c>**</c> across).</param>
/// <param name="Line">Where the entry starts in plugins.yaml, for errors.</param>
internal sealed record ChainEntry(string Name, IReadOnlyList<string> Backends, IReadOnlyList<string> Images, int Line = 0);
