using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// A layer to make local: where its blob is, the index of its format (zTOC, eStargz TOC; kept beside it), its tree as mounted (whose implicit directories
/// carry the lower layers' attributes), and when its fill may start. <paramref name="FormatEntries"/> names entries the
/// blob's tar holds for the format's own use (eStargz: its TOC and prefetch landmarks), not files of the layer: the
/// tree does not show them, and they are removed from the unpacked copy.
/// </summary>
public sealed record FillRequest(ImageReference Repository, Descriptor Layer, LayerIndexFile Index, LayerInode Tree, DateTimeOffset NotBefore,
    IReadOnlyList<string>? FormatEntries = null);
