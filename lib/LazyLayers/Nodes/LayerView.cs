using Microsoft.Extensions.Logging;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// Builds the FUSE nodes of one view of a layer tree: one node per inode (so every name of a hard link is the same
/// node, as the kernel expects), owners shown through <see cref="OwnerMapping"/>. Several views share one tree and one
/// <see cref="ILayerContent"/>.
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
}
