namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>How to start a <see cref="SnapshotterDaemon"/>.</summary>
public sealed record SnapshotterDaemonOptions
{
    /// <summary>plugins.yaml content written next to the root; the default is <see cref="PlainOverlayPluginsYaml"/>.</summary>
    public string PluginsYaml { get; init; } = PlainOverlayPluginsYaml;

    /// <summary>No backend plugins and one chain without backends: a plain overlayfs snapshotter.</summary>
    public const string PlainOverlayPluginsYaml = """
        plugins: []
        chains:
          - name: plain
            backends: []
        """;

    /// <summary>An existing plugins.yaml to use instead of <see cref="PluginsYaml"/>.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>
    /// A directory (ideally on tmpfs) for root, socket and config; the daemon then owns only
    /// its files there. When null, the daemon creates and disposes its own tmpfs.
    /// </summary>
    public string? WorkDirectory { get; init; }

    /// <summary>The executable or .dll to run; defaults to <see cref="RepositoryPaths.Daemon"/>.</summary>
    public string? DaemonPath { get; init; }

    /// <summary>--log-level for the daemon.</summary>
    public string LogLevel { get; init; } = "debug";

    /// <summary>Extra environment variables for the daemon.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
