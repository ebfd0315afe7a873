using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// The uncompressed bytes of one layer, read on demand: each span a read touches is fetched with an HTTP range request,
/// checked against its zTOC span digest and decompressed (lib/Soci's <see cref="ZtocSpanReader"/>), then kept in the
/// shared <see cref="SpanCache"/>.
/// </summary>
internal sealed class LayerContent
{
    private readonly ZtocSpanReader _spans;
    private readonly SpanCache _cache;
    private readonly string _layerDigest;
    private long _fetchedBytes;

    public LayerContent(RegistryClient registry, ImageReference repository, Descriptor layer, Ztoc ztoc, SpanCache cache)
    {
        _layerDigest = layer.Digest;
        _cache = cache;
        var digest = layer.ParsedDigest;
        _spans = new ZtocSpanReader(ztoc, async (offset, length, cancellationToken) =>
        {
            var bytes = await registry.GetBlobRangeAsync(repository, digest, new ByteRange(offset, length), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _fetchedBytes, bytes.Length);
            return bytes;
        });
    }

    /// <summary>Compressed bytes fetched from the registry for this layer so far.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>Copies tar-stream bytes [<paramref name="offset"/>, offset + destination length) into <paramref name="destination"/>.</summary>
    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var spanId = _spans.SpanOf(offset);
            var (start, end) = _spans.UncompressedSpanRange(spanId);
            if (offset < start || offset >= end)
                throw new InvalidDataException($"layer {_layerDigest}: offset {offset} lies outside span {spanId} [{start}, {end})");
            // Fetched without the caller's token: other readers may be waiting on the same span.
            var span = await _cache.GetAsync(new SpanKey(_layerDigest, spanId),
                () => _spans.ReadSpanAsync(spanId, CancellationToken.None), cancellationToken).ConfigureAwait(false);
            var count = (int)Math.Min(destination.Length, end - offset);
            span.AsMemory((int)(offset - start), count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }
}
