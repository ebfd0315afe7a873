using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// The uncompressed bytes of one layer, read on demand: each span a read touches is fetched with an HTTP range request,
/// checked against its zTOC span digest and decompressed (lib/Soci's <see cref="ZtocSpanReader"/>), then kept in the
/// shared <see cref="SpanCache"/>. Sequential reads fetch the next spans ahead. Once the background fill has made the
/// layer local, <see cref="LocalRoot"/> names its unpacked tree and files open from there instead.
/// </summary>
internal sealed class LayerContent : ILayerContent
{
    private readonly ZtocSpanReader _spans;
    private readonly SpanCache _cache;
    private readonly string _layerDigest;
    private readonly int _readaheadSpans;
    private long _fetchedBytes;
    private int _lastSpan = -1;
    private volatile string? _localRoot;

    /// <summary>
    /// The layer's content; <paramref name="fill"/>, when given, lends the bytes its download already has, so a read
    /// behind the background fill needs no request (they are checked against the span digests all the same).
    /// </summary>
    public LayerContent(OnDemandFetch fetch, ImageReference repository, Descriptor layer, Ztoc ztoc, SpanCache cache, int readaheadSpans,
        BackgroundFill? fill = null)
    {
        _layerDigest = layer.Digest;
        _cache = cache;
        _readaheadSpans = readaheadSpans;
        var digest = layer.ParsedDigest;
        _spans = new ZtocSpanReader(ztoc, async (offset, length, cancellationToken) =>
        {
            if (fill?.ReadFetched(layer.Digest, offset, length) is { } fetched) return fetched;
            var bytes = await fetch.GetRangeAsync(repository, digest, new ByteRange(offset, length), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _fetchedBytes, bytes.Length);
            return bytes;
        });
    }

    /// <summary>The layer blob's digest.</summary>
    public string LayerDigest => _layerDigest;

    /// <summary>Compressed bytes fetched from the registry for this layer's reads so far.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>The layer's unpacked tree in the store once it is local (verified against the layer digest), else null.</summary>
    public string? LocalRoot
    {
        get => _localRoot;
        set => _localRoot = value;
    }

    /// <summary>Copies tar-stream bytes [<paramref name="offset"/>, offset + destination length) into <paramref name="destination"/>.</summary>
    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var spanId = _spans.SpanOf(offset);
            var (start, end) = _spans.UncompressedSpanRange(spanId);
            if (offset < start || offset >= end)
                throw new InvalidDataException($"layer {_layerDigest}: offset {offset} lies outside span {spanId} [{start}, {end})");
            var span = await GetSpanAsync(spanId, cancellationToken).ConfigureAwait(false);
            ReadAhead(spanId);
            var count = (int)Math.Min(destination.Length, end - offset);
            span.AsMemory((int)(offset - start), count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    // Fetched without the caller's token: other readers may be waiting on the same span.
    private Task<byte[]> GetSpanAsync(int spanId, CancellationToken cancellationToken)
    {
        var (start, end) = _spans.UncompressedSpanRange(spanId);
        return _cache.GetAsync(new SpanKey(_layerDigest, spanId), end - start, () => _spans.ReadSpanAsync(spanId, CancellationToken.None), cancellationToken);
    }

    /// <summary>On a read of the span after the last one read, starts fetching the next few (a file read front to back).</summary>
    private void ReadAhead(int spanId)
    {
        var previous = Interlocked.Exchange(ref _lastSpan, spanId);
        if (previous != spanId - 1 || _readaheadSpans <= 0 || _localRoot is not null) return;
        for (var next = spanId + 1; next <= Math.Min(spanId + _readaheadSpans, _spans.SpanCount - 1); next++)
        {
            if (_cache.Contains(new SpanKey(_layerDigest, next))) continue;
            _ = GetSpanAsync(next, CancellationToken.None).ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
