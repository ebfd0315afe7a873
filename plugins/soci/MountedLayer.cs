using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>A layer this backend serves: its FUSE mount, the tree behind it (id-mapped views reuse it) and where its bytes come from.</summary>
internal sealed record MountedLayer(FuseMount Mount, LayerInode Root, LayerContent Content, ImageReference Repository, Descriptor Layer);
