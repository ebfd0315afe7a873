using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// The nodes the kernel holds references to, by node id, with FUSE lookup counting: every LOOKUP or
/// READDIRPLUS entry adds one, FORGET and BATCH_FORGET subtract, and a node leaves the table at zero.
/// </summary>
internal sealed class NodeTable
{
    public const ulong RootId = 1;

    private readonly ConcurrentDictionary<ulong, FuseNode> _nodes = new();
    private readonly Lock _countLock = new();

    public NodeTable(FuseNode root)
    {
        Root = root;
        _nodes[RootId] = root;
    }

    public FuseNode Root { get; }

    public int Count => _nodes.Count;

    public FuseNode? Find(ulong nodeId) => _nodes.TryGetValue(nodeId, out FuseNode? node) ? node : null;

    public ulong IdOf(FuseNode node) => ReferenceEquals(node, Root) ? RootId : node.NodeId;

    /// <summary>Records one more kernel reference and returns the node id to answer with.</summary>
    public ulong AddReference(FuseNode node)
    {
        ulong id = IdOf(node);
        if (id == RootId)
        {
            return id; // The kernel never forgets the root.
        }

        lock (_countLock)
        {
            if (node.LookupCount++ == 0)
            {
                _nodes[id] = node;
            }
        }

        return id;
    }

    /// <summary>Drops <paramref name="count"/> kernel references (FORGET).</summary>
    public void Forget(ulong nodeId, ulong count)
    {
        if (nodeId == RootId || !_nodes.TryGetValue(nodeId, out FuseNode? node))
        {
            return;
        }

        lock (_countLock)
        {
            node.LookupCount -= (long)Math.Min(count, (ulong)node.LookupCount);
            if (node.LookupCount == 0)
            {
                _nodes.TryRemove(nodeId, out _);
            }
        }
    }
}
