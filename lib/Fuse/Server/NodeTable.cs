using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// The nodes the kernel holds references to, by node id, with FUSE lookup counting: every LOOKUP or
/// READDIRPLUS entry adds one, FORGET and BATCH_FORGET subtract, and a node leaves the table at zero.
/// Counts live here, not in the node, because one node object may be served by several mounts.
/// </summary>
internal sealed class NodeTable
{
    public const ulong RootId = 1;

    private readonly ConcurrentDictionary<ulong, Entry> _nodes = new();
    private readonly Lock _countLock = new();

    public NodeTable(FuseNode root)
    {
        Root = root;
        _nodes[RootId] = new Entry(root);
    }

    public FuseNode Root { get; }

    public int Count => _nodes.Count;

    public FuseNode? Find(ulong nodeId) => _nodes.TryGetValue(nodeId, out Entry? entry) ? entry.Node : null;

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
            if (!_nodes.TryGetValue(id, out Entry? entry))
            {
                entry = new Entry(node);
                _nodes[id] = entry;
            }

            entry.LookupCount++;
        }

        return id;
    }

    /// <summary>Drops <paramref name="count"/> kernel references (FORGET); true when the node left the table.</summary>
    public bool Forget(ulong nodeId, ulong count)
    {
        if (nodeId == RootId)
        {
            return false;
        }

        lock (_countLock)
        {
            if (_nodes.TryGetValue(nodeId, out Entry? entry))
            {
                entry.LookupCount -= Math.Min(count, entry.LookupCount);
                if (entry.LookupCount == 0)
                {
                    return _nodes.TryRemove(nodeId, out _);
                }
            }
        }

        return false;
    }

    private sealed class Entry(FuseNode node)
    {
        public FuseNode Node { get; } = node;

        public ulong LookupCount { get; set; }
    }
}
