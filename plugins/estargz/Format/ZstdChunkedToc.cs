namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// Where a zstd:chunked footer puts the TOC: its compressed bytes are [<see cref="Offset"/>, + <see cref="CompressedLength"/>)
/// of the blob (after an 8-byte skippable frame header, where the layer's data ends) and decompress to
/// <see cref="RawLength"/> bytes of JSON.
/// </summary>
internal readonly record struct ZstdChunkedToc(long Offset, long CompressedLength, long RawLength)
{
    /// <summary>Where the last data frame ends: the start of the TOC's skippable frame.</summary>
    public long DataEnd => Offset - ZstdChunkedFooter.SkippableHeaderSize;
}
