using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// Starts a <see cref="LazyNode"/> with the chain <c>[soci, local]</c> (the published plugins in out/plugins) and a private
/// containerd that knows it as <see cref="Snapshotter"/> beside its own overlayfs.
/// </summary>
public static class SociNode
{
    public const string Snapshotter = LazyNode.Snapshotter;

    /// <summary>
    /// Starts the daemon (soci settings given as a YAML flow mapping; or a whole plugins.yaml of the caller's, whose
    /// <c>PLUGINS</c> stands for out/plugins) and a containerd that uses it.
    /// </summary>
    public static Task<LazyNode> StartAsync(string workDirectory, CancellationToken ct, string sociSettings = "{}", string? pluginsYaml = null)
    {
        var plugins = Path.Combine(RepositoryPaths.Root, "out", "plugins");
        return LazyNode.StartAsync(workDirectory, "soci", pluginsYaml?.Replace("PLUGINS", plugins, StringComparison.Ordinal) ?? $"""
            plugins:
              - name: soci
                path: {plugins}/soci
                settings: {sociSettings}
              - name: local
                path: {plugins}/local
                settings: {"{}"}
            chains:
              - name: default
                backends: [soci, local]
            default_chain: default
            """, ct);
    }
}
