using System.Collections.Concurrent;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// The uncompressed bytes of one layer, read on demand: each span a read touches is checked against its zTOC span digest
/// and decompressed (lib/Soci's <see cref="ZtocSpanReader"/>), then kept in the shared <see cref="SpanCache"/>. The
/// compressed bytes come from the layer's <see cref="PartialBlob"/> in the store when it holds them (written by earlier
/// reads, also of an earlier daemon, or by the background fill), else from the registry with range requests; what is
/// fetched is written there once its span digest matched, so no byte is fetched twice and re-reads after the span cache
/// let go (or after a restart) are served from disk. Sequential reads fetch the next spans ahead. Once the background
/// fill has made the layer local, <see cref="LocalRoot"/> names its unpacked tree and files open from there instead.
/// </summary>
internal sealed class LayerContent : ILayerContent
{
    private readonly ZtocSpanReader _spans;
    private readonly SpanCache _cache;
    private readonly string _layerDigest;
    private readonly int _readaheadSpans;
    private readonly OnDemandFetch _fetch;
    private readonly ImageReference _repository;
    private readonly OciDigest _digest;
    private readonly Func<PartialBlob?>? _partial;
    private readonly ConcurrentDictionary<long, IDisposable> _announced = new();
    private readonly ConcurrentDictionary<long, byte[]> _rented = new();
    private long _fetchedBytes;
    private int _lastSpan = -1;
    private volatile string? _localRoot;

    /// <summary>
    /// The layer's content; <paramref name="partial"/>, when given, opens the layer's partial blob in the store (null once
    /// there is none to use), where fetched bytes are kept and looked up.
    /// </summary>
    public LayerContent(OnDemandFetch fetch, ImageReference repository, Descriptor layer, Ztoc ztoc, SpanCache cache, int readaheadSpans,
        Func<PartialBlob?>? partial = null)
    {
        _layerDigest = layer.Digest;
        _cache = cache;
        _readaheadSpans = readaheadSpans;
        (_fetch, _repository, _digest, _partial) = (fetch, repository, layer.ParsedDigest, partial);
        // Without the file list: the tree holds what files need, and a mount lives as long as its layer is used.
        _spans = new ZtocSpanReader(ztoc with { Files = [] }, ReadCompressedAsync, Keep);
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
        return _cache.GetAsync(new SpanKey(_layerDigest, spanId), end - start, () => LoadSpanAsync(spanId), cancellationToken);
    }

    /// <summary>One span, verified; bytes on disk that fail their digest are forgotten and fetched again.</summary>
    private async Task<byte[]> LoadSpanAsync(int spanId)
    {
        var (start, end) = _spans.CompressedSpanRange(spanId);
        var range = new ByteRange(start, end - start);
        try
        {
            return await _spans.ReadSpanAsync(spanId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidDataException) when (_partial?.Invoke() is { } blob && blob.Contains(range))
        {
            blob.Forget(range);
            return await _spans.ReadSpanAsync(spanId, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            if (_announced.TryRemove(start, out var announcement)) announcement.Dispose();
            if (_rented.TryRemove(start, out var rented)) RangeBuffers.Pool.Return(rented);
        }
    }

    /// <summary>
    /// Compressed bytes of a span: from the partial blob where present, the rest from the registry. A range another
    /// fetcher (the fill, another layer's reader) is getting is waited for, not fetched again.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> ReadCompressedAsync(long offset, int length, CancellationToken cancellationToken)
    {
        var range = new ByteRange(offset, length);
        // Pooled: the span reader is done with the bytes when LoadSpanAsync ends, which gives the buffer back.
        if (_rented.TryRemove(offset, out var previous)) RangeBuffers.Pool.Return(previous); // a retry's first attempt
        var rented = RangeBuffers.Pool.Rent(length);
        _rented[offset] = rented;
        var buffer = rented.AsMemory(0, length);
        if (_partial?.Invoke() is not { } blob)
        {
            await FetchAsync(range, buffer, cancellationToken).ConfigureAwait(false);
            return buffer;
        }
        var waited = false;
        try
        {
            while (true)
            {
                var missing = blob.Missing(range);
                if (missing.Count == 0)
                {
                    blob.Read(offset, buffer.Span);
                    return buffer;
                }
                var (mine, theirs) = waited ? (NotAnnounced.Instance, null) : blob.BeginFetch(range);
                if (theirs is not null)
                {
                    // A fetcher that does not finish within a read's deadline is not waited for again: this read fetches.
                    waited = await Task.WhenAny(theirs, Task.Delay(_fetch.Deadline, cancellationToken)).ConfigureAwait(false) != theirs;
                    cancellationToken.ThrowIfCancellationRequested();
                    continue;
                }
                _announced[offset] = mine!; // ended once the span is verified and kept, or failed (LoadSpanAsync)
                missing = blob.Missing(range); // the fetch that just ended may have brought some
                var at = offset;
                foreach (var gap in missing)
                {
                    if (gap.Offset > at) blob.Read(at, buffer.Span[(int)(at - offset)..(int)(gap.Offset - offset)]);
                    await FetchAsync(gap, buffer[(int)(gap.Offset - offset)..(int)(gap.End - offset)], cancellationToken).ConfigureAwait(false);
                    at = gap.End;
                }
                if (at < range.End) blob.Read(at, buffer.Span[(int)(at - offset)..]);
                return buffer;
            }
        }
        catch (ObjectDisposedException)
        {
            // The layer just went local or was freed, taking its partial blob along: the registry serves this read.
            await FetchAsync(range, buffer, cancellationToken).ConfigureAwait(false);
            return buffer;
        }
    }

    private async Task FetchAsync(ByteRange range, Memory<byte> destination, CancellationToken cancellationToken)
    {
        await _fetch.GetRangeAsync(_repository, _digest, range, destination, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _fetchedBytes, range.Length);
    }

    /// <summary>A span's compressed bytes matched their digest: kept in the partial blob unless they came from there.</summary>
    private void Keep(long offset, ReadOnlyMemory<byte> compressed)
    {
        if (!_announced.ContainsKey(offset) || _partial?.Invoke() is not { } blob) return;
        try
        {
            blob.Write(offset, compressed.Span);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Not kept (disk full, layer gone): a later read fetches it again.
        }
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

    private sealed class NotAnnounced : IDisposable
    {
        public static readonly NotAnnounced Instance = new();

        public void Dispose()
        {
        }
    }
}
