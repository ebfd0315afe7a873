namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// The format's index of a layer as fetched and verified (a SOCI zTOC, an eStargz TOC): the store keeps its bytes beside
/// the unpacked layer, so a layer already local mounts again with no network. <paramref name="UncompressedSize"/> is the
/// layer's tar size, reserved in the store before a fill starts.
/// </summary>
public sealed record LayerIndexFile(string Digest, byte[] Bytes, long UncompressedSize);
