using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// A layer to make local: where its blob is, the index of its format (zTOC, eStargz TOC; kept beside it), its tree as mounted (whose implicit directories
/// carry the lower layers' attributes), and when its fill may start.
/// </summary>
public sealed record FillRequest(ImageReference Repository, Descriptor Layer, LayerIndexFile Index, LayerInode Tree, DateTimeOffset NotBefore);
