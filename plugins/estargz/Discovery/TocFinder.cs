using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// Tells an eStargz layer from any other by the blob itself and fetches its TOC: one range request for the blob's last
/// <see cref="TailBytes"/> (the footer, and with it the TOC of most layers), a second one only for a TOC that starts
/// earlier. The footer is what makes a layer eStargz; the TOC digest (the layer's annotation) is what the TOC is checked
/// against.
/// </summary>
internal sealed class TocFinder(OnDemandFetch fetch)
{
    /// <summary>Read from the blob's end at once: a TOC of a few thousand entries comes with the footer.</summary>
    public const int TailBytes = 256 * 1024;

    /// <summary>The TOC of <paramref name="layer"/>, or null when the blob ends in no (e)stargz footer.</summary>
    /// <param name="repository">Where the blob is.</param>
    /// <param name="layer">The layer's descriptor (its size places the footer).</param>
    /// <param name="tocDigest">The digest the TOC must have; null to take it unverified (verification off).</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <exception cref="InvalidDataException">The footer points nowhere sensible, or the TOC is malformed or does not match <paramref name="tocDigest"/>.</exception>
    public async Task<FoundToc?> FindAsync(ImageReference repository, Descriptor layer, string? tocDigest, CancellationToken cancellationToken)
    {
        if (layer.Size < EstargzFooter.LegacySize) return null;
        var tailStart = Math.Max(0, layer.Size - TailBytes);
        var tail = await fetch.GetRangeAsync(repository, layer.ParsedDigest, new ByteRange(tailStart, layer.Size - tailStart), cancellationToken).ConfigureAwait(false);
        if (!EstargzFooter.TryParse(tail, out var tocOffset, out var footerSize)) return null;
        var tocEnd = layer.Size - footerSize;
        if (tocOffset >= tocEnd) throw new InvalidDataException($"layer {layer.Digest}: the footer puts the TOC at {tocOffset}, past its end {tocEnd}");
        if (tocEnd - tocOffset > TocReader.MaxTocBytes) throw new InvalidDataException($"layer {layer.Digest}: its TOC member is {tocEnd - tocOffset} bytes");
        var member = tocOffset >= tailStart
            ? tail.AsMemory((int)(tocOffset - tailStart), (int)(tocEnd - tocOffset))
            : await fetch.GetRangeAsync(repository, layer.ParsedDigest, new ByteRange(tocOffset, tocEnd - tocOffset), cancellationToken).ConfigureAwait(false);
        var json = TocReader.Extract(member);
        try
        {
            var toc = TocReader.Parse(json, tocDigest);
            return new FoundToc(json, tocDigest ?? OciDigest.Compute(json).ToString(), toc, tocOffset);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"layer {layer.Digest}: {e.Message}", e);
        }
    }
}
