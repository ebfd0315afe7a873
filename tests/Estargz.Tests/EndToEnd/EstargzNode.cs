using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// Starts a <see cref="LazyNode"/> with the chain <c>[soci, estargz, local]</c> (the published plugins in out/plugins) and a
/// private containerd that knows it as <see cref="Snapshotter"/> beside its own overlayfs.
/// </summary>
public static class EstargzNode
{
    public const string Snapshotter = LazyNode.Snapshotter;

    /// <summary>Starts the daemon (estargz settings given as a YAML flow mapping) and a containerd that uses it.</summary>
    public static Task<LazyNode> StartAsync(string workDirectory, CancellationToken ct, string estargzSettings = "{}")
    {
        var plugins = Path.Combine(RepositoryPaths.Root, "out", "plugins");
        return LazyNode.StartAsync(workDirectory, "estargz", $"""
            plugins:
              - name: soci
                path: {plugins}/soci
                settings: {"{ background_fill: { enable: false } }"}
              - name: estargz
                path: {plugins}/estargz
                settings: {estargzSettings}
              - name: local
                path: {plugins}/local
                settings: {"{}"}
            chains:
              - name: default
                backends: [soci, estargz, local]
            default_chain: default
            """, ct);
    }
}
