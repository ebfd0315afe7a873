using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// The nodes the kernel holds references to, by node id, with FUSE lookup counting: every LOOKUP or
/// READDIRPLUS entry adds one, FORGET and BATCH_FORGET subtract, and a node leaves the table at zero.
/// Counts live here, not in the node, because one node object may be served by several mounts. With
/// <see cref="StableNodeIds"/> the ids come from a walk of the tree, and an id the kernel got from an earlier process
/// (a resumed connection) resolves without a LOOKUP; FORGETs of references this table never counted are ignored.
/// </summary>
internal sealed class NodeTable
{
    public const ulong RootId = 1;

    private readonly ConcurrentDictionary<ulong, Entry> _nodes = new();
    private readonly Lock _countLock = new();

    private readonly StableNodeIds? _stable;

    public NodeTable(FuseNode root, StableNodeIds? stable = null)
    {
        Root = root;
        _stable = stable;
        _nodes[RootId] = new Entry(root);
    }

    /// <summary>True when ids are numbered by a walk of the tree (the same in every process); st_ino is then the id.</summary>
    public bool IsStable => _stable is not null;

    public FuseNode Root { get; }

    public int Count => _nodes.Count;

    public FuseNode? Find(ulong nodeId) => _nodes.TryGetValue(nodeId, out Entry? entry) ? entry.Node : _stable?.Find(nodeId);

    public ulong IdOf(FuseNode node) => ReferenceEquals(node, Root) ? RootId : _stable?.IdOf(node) ?? node.NodeId;

    /// <summary>st_ino for a node: its stable id when ids are stable (the tree's own numbers may differ per process), else the node's own number or its id.</summary>
    public ulong InodeNumber(ulong nodeIno, ulong nodeId) => _stable is null && nodeIno != 0 ? nodeIno : nodeId;

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

                return false;
            }
        }

        // References counted by an earlier process of a resumed connection: nothing is held here, and the kernel
        // forgetting the node is final for its backing file too.
        return _stable is not null;
    }

    private sealed class Entry(FuseNode node)
    {
        public FuseNode Node { get; } = node;

        public ulong LookupCount { get; set; }
    }
}
