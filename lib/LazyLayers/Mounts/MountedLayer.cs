using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Mounts;

/// <summary>
/// A layer a lazy backend serves at <see cref="Mountpoint"/>: its FUSE mount, its chain's view of the layer's shared tree
/// (<see cref="ChainTree"/>; id-mapped views and upper layers' implicit directories read it),
/// where its bytes come from, and whether a bind of its local copy sits on top of the FUSE mount.
/// </summary>
public sealed class MountedLayer(string mountpoint, FuseMount mount, LayerInode root, ILayerContent content, ImageReference repository, Descriptor layer)
{
    public string Mountpoint { get; } = mountpoint;
    public FuseMount Mount { get; } = mount;
    public LayerInode Root { get; } = root;
    public ILayerContent Content { get; } = content;
    public ImageReference Repository { get; } = repository;
    public Descriptor Layer { get; } = layer;

    /// <summary>The local copy is bound over the FUSE mount (guarded by <see cref="LayerMounts"/>' mount lock).</summary>
    public bool Bound { get; set; }
}
