using Microsoft.Extensions.Logging;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// Builds the FUSE nodes of one view of a layer tree: one node per inode (so every name of a hard link is the same
/// node, as the kernel expects), owners shown through <see cref="OwnerMapping"/>. Several views share one tree and one
/// <see cref="ILayerContent"/>; every snapshot of a layer shares its nodes too (<see cref="SharedLayer"/>), but for a
/// chain's own implicit directories (<see cref="ForChain"/>).
/// </summary>
public static class LayerView
{
    public static LayerDirectoryNode Build(LayerInode root, OwnerMapping owners, ILayerContent content, ILogger logger)
    {
        var nodes = new Dictionary<LayerInode, LayerNode>(ReferenceEqualityComparer.Instance);
        var rootNode = new LayerDirectoryNode(root, owners);
        nodes[root] = rootNode;
        var pending = new Stack<(LayerDirectoryNode Node, string Path)>();
        pending.Push((rootNode, ""));
        while (pending.TryPop(out var item))
        {
            var directory = item.Node;
            var children = new List<KeyValuePair<string, LayerNode>>(directory.Inode.Children!.Count);
            foreach (var (name, inode) in directory.Inode.Children)
            {
                if (!nodes.TryGetValue(inode, out var node))
                {
                    var path = item.Path.Length == 0 ? name : $"{item.Path}/{name}";
                    node = inode.Type switch
                    {
                        LayerInodeType.Directory => new LayerDirectoryNode(inode, owners),
                        LayerInodeType.Regular => new LayerFileNode(inode, owners, content, path, logger),
                        LayerInodeType.Symlink => new LayerSymlinkNode(inode, owners),
                        _ => new LayerNode(inode, owners),
                    };
                    nodes[inode] = node;
                    if (node is LayerDirectoryNode subdirectory) pending.Push((subdirectory, path));
                }
                children.Add(KeyValuePair.Create(name, node));
            }
            directory.SetChildren(children);
        }
        return rootNode;
    }

    /// <summary>
    /// The nodes of a chain's view of a shared tree (<see cref="ChainTree"/>): the shared nodes, but for new directory
    /// nodes over the chain's copies (its implicit directories and their ancestors), which list the shared children (a
    /// copy whose children are all shared takes the shared node's entries as they are).
    /// Returns <paramref name="shared"/> itself when the chain's tree is the shared one.
    /// </summary>
    /// <param name="chainRoot">The chain's view of <paramref name="shared"/>'s tree: the same names in the same order.</param>
    /// <param name="shared">The root node over the shared tree.</param>
    public static LayerDirectoryNode ForChain(LayerInode chainRoot, LayerDirectoryNode shared)
    {
        ArgumentNullException.ThrowIfNull(chainRoot);
        ArgumentNullException.ThrowIfNull(shared);
        if (ReferenceEquals(chainRoot, shared.Inode)) return shared;
        var node = new LayerDirectoryNode(chainRoot, shared.Owners);
        if (ReferenceEquals(chainRoot.Children, shared.Inode.Children))
        {
            node.ShareChildren(shared); // only its own attributes differ: the shared entries serve it
            return node;
        }
        var children = new List<KeyValuePair<string, LayerNode>>(chainRoot.Children!.Count);
        var index = 0;
        foreach (var (name, inode) in chainRoot.Children)
        {
            var sharedChild = (LayerNode)shared.Entries[index++].Node;
            // The chain's copies are directories only; their shape is the shared tree's, so entries line up by index.
            var child = ReferenceEquals(inode, sharedChild.Inode) ? sharedChild : ForChain(inode, (LayerDirectoryNode)sharedChild);
            children.Add(KeyValuePair.Create(name, child));
        }
        node.SetChildren(children);
        return node;
    }
}
