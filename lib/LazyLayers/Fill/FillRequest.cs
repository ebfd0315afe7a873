using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// A layer to make local: where its blob is, the index of its format (zTOC, eStargz TOC; kept beside it), its tree as mounted (whose implicit directories
/// carry the lower layers' attributes), and when its fill may start. <paramref name="FormatEntries"/> names entries the
/// blob's tar holds for the format's own use (eStargz: its TOC and prefetch landmarks), not files of the layer: the
/// tree does not show them, and they are removed from the unpacked copy. <paramref name="CheckUnpackInput"/>, where the
/// format can check the blob's bytes as they pass (soci: the zTOC's span digests), wraps the stream the fill unpacks so
/// that it tells the <see cref="UnpackedFiles"/> how far the unpack's input is verified: reads of the layer then take the
/// files unpacked so far (<see cref="BackgroundFill.Unpacking"/>).
/// </summary>
public sealed record FillRequest(ImageReference Repository, Descriptor Layer, LayerIndexFile Index, LayerInode Tree, DateTimeOffset NotBefore,
    IReadOnlyList<string>? FormatEntries = null, Func<Stream, UnpackedFiles, Stream>? CheckUnpackInput = null);
