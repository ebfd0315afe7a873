namespace PluggableSnapshotter.Fuse.Server;

/// <summary>Carries an exception out of a node callback together with the node that threw, for the once-per-node log.</summary>
internal sealed class NodeFaultException(FuseNode node, Exception inner)
    : Exception($"Node {node.GetType().FullName} failed", inner)
{
    public FuseNode Node { get; } = node;
}
