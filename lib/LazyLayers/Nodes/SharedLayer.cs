using Microsoft.Extensions.Logging;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// What every snapshot (mount) of one layer digest shares: the layer's tree as its index describes it, where its bytes
/// come from, and the FUSE nodes over the tree. A mount adds only its chain's implicit directories
/// (<see cref="ChainTree"/>, <see cref="LayerView.ForChain"/>).
/// </summary>
public sealed class SharedLayer
{
    /// <param name="tree">The layer's tree, implicit directories as the assembler made them (0755 root:root); never changed after.</param>
    /// <param name="content">The layer's bytes, for every mount of the layer.</param>
    /// <param name="logger">For read failures of the layer's files.</param>
    /// <param name="format">The format's own state for the layer (eStargz: its layout), if it needs it again on a later mount.</param>
    public SharedLayer(LayerInode tree, ILayerContent content, ILogger logger, object? format = null)
    {
        (Tree, Content, Format) = (tree, content, format);
        Nodes = LayerView.Build(tree, OwnerMapping.Identity, content, logger);
    }

    public LayerInode Tree { get; }
    public ILayerContent Content { get; }
    public object? Format { get; }

    /// <summary>The root node over <see cref="Tree"/>, owners as stored.</summary>
    public LayerDirectoryNode Nodes { get; }
}
