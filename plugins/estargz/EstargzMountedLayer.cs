using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Estargz.Content;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// A layer this backend serves at <see cref="Mountpoint"/>: its FUSE mount, the tree behind it (id-mapped views reuse it),
/// where its bytes come from, and whether a bind of its local copy sits on top of the FUSE mount.
/// </summary>
internal sealed class EstargzMountedLayer(string mountpoint, FuseMount mount, LayerInode root, EstargzContent content, ImageReference repository, Descriptor layer)
{
    public string Mountpoint { get; } = mountpoint;
    public FuseMount Mount { get; } = mount;
    public LayerInode Root { get; } = root;
    public EstargzContent Content { get; } = content;
    public ImageReference Repository { get; } = repository;
    public Descriptor Layer { get; } = layer;

    /// <summary>The local copy is bound over the FUSE mount (guarded by the file system's mount lock).</summary>
    public bool Bound { get; set; }
}
