namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Node ids that mean the same node in every process serving the same tree, so a server resumed from a keeper
/// (<see cref="FuseKeeperClient"/>) answers the ids its dead predecessor handed out without a LOOKUP first. The
/// ids are numbered by one walk of the tree at mount: breadth first from the root (1), each directory's entries in
/// the order its <see cref="INodeReaddirer"/> lists them, a node reached twice (a hard link) keeping its first id.
/// The tree must therefore list the same entries in the same order in every process (an immutable layer tree does).
/// </summary>
internal sealed class StableNodeIds
{
    /// <summary>Ids of nodes the walk did not reach (a node made up at LOOKUP): never confused with walked ones.</summary>
    public const ulong UnwalkedBit = 1UL << 63;

    private const ulong FirstId = NodeTable.RootId + 1;

    private readonly List<FuseNode> _nodes = [];
    private readonly Dictionary<FuseNode, ulong> _ids = new(ReferenceEqualityComparer.Instance);

    private StableNodeIds()
    {
    }

    /// <summary>Nodes numbered, the root excluded.</summary>
    public int Count => _nodes.Count;

    /// <summary>Walks the tree under <paramref name="root"/>; a directory that cannot be listed is skipped with its subtree.</summary>
    public static async Task<StableNodeIds> NumberAsync(FuseNode root, CancellationToken cancellationToken)
    {
        var ids = new StableNodeIds();
        ids._ids[root] = NodeTable.RootId;
        var directories = new Queue<FuseNode>();
        directories.Enqueue(root);
        while (directories.TryDequeue(out FuseNode? directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (directory is not INodeReaddirer readdirer)
            {
                continue;
            }

            FuseResult<IReadOnlyList<FuseDirEntry>> entries = await readdirer.ReaddirAsync(cancellationToken).ConfigureAwait(false);
            if (!entries.IsSuccess)
            {
                continue;
            }

            foreach (FuseDirEntry entry in entries.Value)
            {
                if (ids._ids.TryAdd(entry.Node, FirstId + (ulong)ids._nodes.Count))
                {
                    ids._nodes.Add(entry.Node);
                    directories.Enqueue(entry.Node);
                }
            }
        }

        return ids;
    }

    /// <summary>The node numbered <paramref name="nodeId"/>, or null.</summary>
    public FuseNode? Find(ulong nodeId)
    {
        ulong index = nodeId - FirstId;
        return nodeId >= FirstId && index < (ulong)_nodes.Count ? _nodes[(int)index] : null;
    }

    /// <summary>The node's id: its number from the walk, or its process-wide id with <see cref="UnwalkedBit"/>.</summary>
    public ulong IdOf(FuseNode node) => _ids.TryGetValue(node, out ulong id) ? id : UnwalkedBit | node.NodeId;
}
