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
}
