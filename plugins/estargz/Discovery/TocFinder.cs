using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// Tells an eStargz or zstd:chunked layer from any other by the blob itself and fetches its TOC: one range request for
/// the blob's last <see cref="TailBytes"/> (the footer, and with it the TOC of most layers), a second one only for a TOC
/// that starts earlier. The footer is what makes a layer eStargz (gzip) or zstd:chunked (zstd); the TOC digest (the
/// layer's annotation, the digest of the uncompressed JSON in both formats) is what the TOC is checked against.
/// </summary>
internal sealed class TocFinder(OnDemandFetch fetch)
{
    /// <summary>Read from the blob's end at once: a TOC of a few thousand entries comes with the footer.</summary>
    public const int TailBytes = 256 * 1024;

    /// <summary>The TOC of <paramref name="layer"/>, or null when the blob ends in no footer of its compression.</summary>
    /// <param name="repository">Where the blob is.</param>
    /// <param name="layer">The layer's descriptor (its size places the footer).</param>
    /// <param name="compression">The layer's compression (from its media type): which footer to look for.</param>
    /// <param name="tocDigest">The digest the TOC must have; null to take it unverified (verification off).</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <exception cref="InvalidDataException">The footer points nowhere sensible, or the TOC is malformed or does not match <paramref name="tocDigest"/>.</exception>
    public async Task<FoundToc?> FindAsync(ImageReference repository, Descriptor layer, EstargzCompression compression, string? tocDigest,
        CancellationToken cancellationToken)
    {
        var footerSize = compression == EstargzCompression.Zstd ? ZstdChunkedFooter.Size : EstargzFooter.LegacySize;
        if (layer.Size < footerSize) return null;
        var tailStart = Math.Max(0, layer.Size - TailBytes);
        var tail = await fetch.GetRangeAsync(repository, layer.ParsedDigest, new ByteRange(tailStart, layer.Size - tailStart), cancellationToken).ConfigureAwait(false);
        try
        {
            var located = compression == EstargzCompression.Zstd ? LocateZstd(tail, layer.Size) : LocateGzip(tail, layer.Size);
            if (located is not var (tocStart, tocEnd, dataEnd, rawLength)) return null;
            var member = tocStart >= tailStart
                ? tail.AsMemory((int)(tocStart - tailStart), (int)(tocEnd - tocStart))
                : await fetch.GetRangeAsync(repository, layer.ParsedDigest, new ByteRange(tocStart, tocEnd - tocStart), cancellationToken).ConfigureAwait(false);
            var json = compression == EstargzCompression.Zstd ? TocReader.ExtractZstd(member.Span, rawLength) : TocReader.Extract(member);
            var toc = TocReader.Parse(json, tocDigest);
            return new FoundToc(json, tocDigest ?? OciDigest.Compute(json).ToString(), toc, dataEnd, compression);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"layer {layer.Digest}: {e.Message}", e);
        }
    }

    /// <summary>The gzip TOC member [start, end) and where the data ends (the member's start); null without a footer.</summary>
    private static (long Start, long End, long DataEnd, long RawLength)? LocateGzip(byte[] tail, long blobSize)
    {
        if (!EstargzFooter.TryParse(tail, out var tocOffset, out var footerSize)) return null;
        var tocEnd = blobSize - footerSize;
        if (tocOffset >= tocEnd) throw new InvalidDataException($"the footer puts the TOC at {tocOffset}, past its end {tocEnd}");
        if (tocEnd - tocOffset > TocReader.MaxTocBytes) throw new InvalidDataException($"its TOC member is {tocEnd - tocOffset} bytes");
        return (tocOffset, tocEnd, tocOffset, 0);
    }

    /// <summary>The compressed zstd TOC [start, end) and where the data ends (the TOC's skippable frame); null without a footer.</summary>
    private static (long Start, long End, long DataEnd, long RawLength)? LocateZstd(byte[] tail, long blobSize)
    {
        if (!ZstdChunkedFooter.TryParse(tail, out var toc)) return null;
        var tocEnd = toc.Offset + toc.CompressedLength;
        if (tocEnd > blobSize - ZstdChunkedFooter.Size)
            throw new InvalidDataException($"the zstd:chunked footer puts the TOC at [{toc.Offset}, {tocEnd}), past the footer at {blobSize - ZstdChunkedFooter.Size}");
        return (toc.Offset, tocEnd, toc.DataEnd, toc.RawLength);
    }
}
