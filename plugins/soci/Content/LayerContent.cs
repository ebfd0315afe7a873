using System.Collections.Concurrent;
using PluggableSnapshotter.LazyLayers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// The uncompressed bytes of one layer, read on demand: each span a read touches is checked against its zTOC span digest
/// and decompressed (lib/Soci's <see cref="ZtocSpans"/>) by one reader while the others wait, and kept in the shared
/// <see cref="SpanCache"/> and, where the layer keeps them or once a span is decompressed a second time, in the layer's
/// <see cref="DecompressedSpans"/> on disk (reads of its bytes are then a pread from the page cache, no inflate). The compressed bytes come from the layer's <see cref="PartialBlob"/> in the
/// store when it holds them (written by earlier reads, also of an earlier daemon, or by the background fill), else from
/// the registry with range requests; what is fetched is written there once its span digest matched, so no byte is
/// fetched twice. Sequential reads fetch the next spans ahead. Once the background fill has made the layer local,
/// <see cref="LocalRoot"/> names its unpacked tree and files open from there instead.
/// </summary>
internal sealed class LayerContent : ILayerContent
{
    private readonly ZtocSpans _spans;
    private readonly SpanCache _cache;
    private readonly string _layerDigest;
    private readonly string _layout;
    private readonly VerifiedRangeReader _ranges;
    private readonly SequentialReadAhead _readAhead;
    private readonly Func<int, bool> _spanHeld;
    private readonly Func<int, Task> _loadSpan;
    private readonly Func<DecompressedSpans?>? _decompressed;
    private readonly Func<bool>? _keepsEverySpan;
    private volatile bool _spansFileInUse; // it holds spans from an earlier run, or a span was decompressed again
    private readonly LazyLayerMetrics? _metrics;
    private readonly ConcurrentDictionary<int, SpanBuffer> _writing = new(); // decompressed spans on their way to disk
    private readonly int[] _inflations;
    private DecompressedSpans? _kept;
    private long _decompressedBytes;
    private long _diskBytes;
    private volatile string? _localRoot;
    private readonly Func<UnpackedFiles?>? _unpacking;

    /// <summary>
    /// The layer's content; <paramref name="partial"/>, when given, opens the layer's partial blob in the store (null once
    /// there is none to use), where fetched bytes are kept and looked up; <paramref name="decompressed"/> likewise its
    /// decompressed spans (<see cref="SpanLayout"/> names the zTOC's layout for the store). <paramref name="keepsEverySpan"/>
    /// says whether every decompressed span goes there (asked at each decompression; none: every span); when not, only a span
    /// decompressed a second time does, one read again after the memory cache let it go (files read out of the layer's
    /// tar order, such as a walk of directories whose files the tar interleaves), so no span is decompressed a third time.
    /// <paramref name="spansOnDisk"/>: the store holds spans of the layer already (an earlier run kept them), read from the first read.
    /// <paramref name="unpacking"/>: the files the layer's running fill has unpacked, which reads take first.
    /// </summary>
    public LayerContent(OnDemandFetch fetch, ImageReference repository, Descriptor layer, Ztoc ztoc, SpanCache cache, int readaheadSpans,
        Func<PartialBlob?>? partial = null, Func<DecompressedSpans?>? decompressed = null, LazyLayerMetrics? metrics = null,
        Func<bool>? keepsEverySpan = null, bool spansOnDisk = false, Func<UnpackedFiles?>? unpacking = null)
    {
        _unpacking = unpacking;
        _spansFileInUse = spansOnDisk;
        _layerDigest = layer.Digest;
        _cache = cache;
        (_decompressed, _metrics, _keepsEverySpan) = (decompressed, metrics, keepsEverySpan);
        _ranges = new VerifiedRangeReader(fetch, repository, layer.ParsedDigest, partial, metrics: metrics);
        // Without the file list: the tree holds what files need, and a mount lives as long as its layer is used. Spans are
        // read through _ranges and decoded here.
        _spans = new ZtocSpans(ztoc with { Files = [] });
        _layout = SpanLayout(ztoc);
        _inflations = new int[_spans.SpanCount];
        _readAhead = new SequentialReadAhead(_spans.SpanCount, readaheadSpans);
        // Made once: the read-ahead check runs on every read.
        _spanHeld = next =>
        {
            var (start, end) = _spans.UncompressedSpanRange(next);
            return _cache.Contains(Key(next)) || _kept?.Holds(next, start, end) == true;
        };
        _loadSpan = LoadIntoCacheAsync;
    }

    /// <summary>What names a zTOC's span layout: its span digests (a decompressed-spans file is shared only by zTOCs with the same spans).</summary>
    public static string SpanLayout(Ztoc ztoc)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        return OciDigest.Compute(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', ztoc.CompressionInfo.SpanDigests))).ToString();
    }

    /// <summary>The layer blob's digest.</summary>
    public string LayerDigest => _layerDigest;

    /// <summary>Compressed bytes fetched from the registry for this layer's reads so far.</summary>
    public long FetchedBytes => _ranges.FetchedBytes;

    /// <summary>Stored compressed bytes forgotten because the span they took part in failed its digest.</summary>
    public long ForgottenBytes => _ranges.ForgottenBytes;

    /// <summary>Spans decompressed so far (each counted once per decompression).</summary>
    public int SpansDecompressed => _inflations.Sum();

    /// <summary>The most times one span was decompressed.</summary>
    public int MaxDecompressionsOfASpan => _inflations.Length == 0 ? 0 : _inflations.Max();

    /// <summary>Uncompressed bytes produced by decompressing spans so far.</summary>
    public long DecompressedBytes => Interlocked.Read(ref _decompressedBytes);

    /// <summary>Bytes reads took from the layer's decompressed spans on disk.</summary>
    public long DiskReadBytes => Interlocked.Read(ref _diskBytes);

    /// <summary>The layer's unpacked tree in the store once it is local (verified against the layer digest), else null.</summary>
    public string? LocalRoot
    {
        get => _localRoot;
        set => _localRoot = value;
    }

    /// <summary>The files the layer's running fill unpacked from bytes that passed their span digests (null: no fill runs).</summary>
    public UnpackedFiles? Unpacking => _unpacking?.Invoke();

    /// <summary>
    /// The check of the fill's blob stream, its spans against the zTOC's digests as they pass into the unpack; null unless
    /// the zTOC's compression is the one <paramref name="mediaType"/> names (the unpack decompresses as the media type
    /// says, and a verified offset means something only in the zTOC's terms).
    /// </summary>
    public Func<Stream, UnpackedFiles, Stream>? UnpackCheckFor(string? mediaType) =>
        LayerCompressionDetector.FromMediaType(mediaType) == (_spans.Gzip ? LayerCompression.Gzip : LayerCompression.Uncompressed)
            ? (blob, files) => new SpanCheckingStream(blob, _spans, files.VerifiedThrough, files.TurnOff)
            : null;

    /// <summary>Copies tar-stream bytes [<paramref name="offset"/>, offset + destination length) into <paramref name="destination"/>.</summary>
    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var spanId = _spans.SpanOf(offset);
            var (start, end) = _spans.UncompressedSpanRange(spanId);
            if (offset < start || offset >= end)
                throw new InvalidDataException($"layer {_layerDigest}: offset {offset} lies outside span {spanId} [{start}, {end})");
            var count = (int)Math.Min(destination.Length, end - offset);
            if (Kept() is { } kept && kept.TryRead(spanId, start, end, offset, destination.Span[..count]))
            {
                Interlocked.Add(ref _diskBytes, count);
                _metrics?.ContentRead(count, ContentSource.Disk);
            }
            else
            {
                using (var span = await GetSpanAsync(spanId, cancellationToken).ConfigureAwait(false))
                {
                    span.Memory.Slice((int)(offset - start), count).CopyTo(destination);
                }
                _metrics?.ContentRead(count, ContentSource.Decompressed);
            }
            ReadAhead(spanId);
            destination = destination[count..];
            offset += count;
        }
    }

    /// <summary>
    /// The layer's decompressed spans on disk once in use (spans of an earlier run, or one written by this one), asked
    /// of the store again once closed (the layer went local or was freed); null before, without asking anything: reads
    /// call this, and a decompression (<see cref="InflateAsync"/>) is what puts the file to use.
    /// </summary>
    private DecompressedSpans? Kept()
    {
        var kept = _kept;
        if (kept is not null && !kept.IsClosed) return kept;
        return _spansFileInUse ? _kept = _decompressed?.Invoke() : null;
    }

    // Fetched without the caller's token: other readers may be waiting on the same span.
    private Task<SpanBuffer> GetSpanAsync(int spanId, CancellationToken cancellationToken) =>
        _cache.GetAsync(Key(spanId), SpanBytes(spanId), () => Task.Run(() => InflateAsync(spanId)), cancellationToken);

    /// <summary>Starts loading a span into the cache (read-ahead, prefetch).</summary>
    private Task LoadIntoCacheAsync(int spanId) =>
        _cache.LoadAsync(Key(spanId), SpanBytes(spanId), () => Task.Run(() => InflateAsync(spanId)));

    private SpanKey Key(int spanId) => new(_layerDigest, spanId, _layout);

    private long SpanBytes(int spanId)
    {
        var (start, end) = _spans.UncompressedSpanRange(spanId);
        return end - start;
    }

    /// <summary>
    /// The span, from the decompressed spans on disk when another reader kept it there meanwhile, else decompressed (and
    /// kept there when the layer keeps them). Runs off the caller's thread: the cache asks under its lock, and one
    /// reader's fetch is shared by all (the cache holds a span being fetched until it is done).
    /// </summary>
    private async Task<SpanBuffer> InflateAsync(int spanId)
    {
        var (start, end) = _spans.UncompressedSpanRange(spanId);
        // Evicted while being written to disk: the same bytes, not decompressed again.
        if (_writing.TryGetValue(spanId, out var beingWritten) && beingWritten.TryAddReference()) return beingWritten;
        var kept = Kept();
        if (kept is not null && kept.Holds(spanId, start, end))
        {
            var stored = _cache.Rent((int)(end - start));
            if (kept.TryRead(spanId, start, end, start, stored.Span)) return stored;
            stored.Dispose();
        }
        var span = await LoadSpanAsync(spanId).ConfigureAwait(false);
        var again = Interlocked.Increment(ref _inflations[spanId]) > 1;
        Interlocked.Add(ref _decompressedBytes, span.Length);
        _metrics?.SpanDecompressed(span.Length);
        // Kept when read again, or when the layer keeps every span (asked per decompression, not per read: a layer
        // whose fill fails keeps its spans from then on).
        var keep = again || (_keepsEverySpan?.Invoke() ?? true);
        if (keep && kept is null)
        {
            _spansFileInUse = true;
            kept = Kept();
        }
        // Written after the readers have it; the writer's reference keeps the array this span's until then.
        if (kept is not null && keep && span.TryAddReference())
        {
            if (_writing.TryAdd(spanId, span)) _ = Task.Run(() => WriteKept(kept, spanId, start, span));
            else span.Dispose(); // another copy of it is being written
        }
        return span;
    }

    private void WriteKept(DecompressedSpans kept, int spanId, long start, SpanBuffer span)
    {
        try
        {
            // Reads of it now take it from disk (the page cache): its room in memory goes to a span that is not there, so
            // a layer read over and over in an order the cache is too small for decompresses fewer spans a second time.
            if (kept.TryWrite(spanId, start, span.Span)) _cache.Forget(Key(spanId), span);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Not kept (the store could not make room, the layer went): a later read decompresses it again.
        }
        finally
        {
            _writing.TryRemove(KeyValuePair.Create(spanId, span));
            span.Dispose();
        }
    }

    /// <summary>One span, verified (stored bytes that fail its digest are forgotten and fetched again).</summary>
    private Task<SpanBuffer> LoadSpanAsync(int spanId)
    {
        var (start, end) = _spans.CheckedCompressedSpanRange(spanId);
        var (uStart, uEnd) = _spans.UncompressedSpanRange(spanId);
        return _ranges.ReadAsync(new ByteRange(start, end - start), compressed =>
        {
            var span = _cache.Rent((int)(uEnd - uStart));
            try
            {
                _spans.DecodeSpan(spanId, compressed, span.Span);
                return new DecodedRange<SpanBuffer>(span, Verified: true);
            }
            catch
            {
                span.Dispose();
                throw;
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// Starts fetching the spans that hold [<paramref name="offset"/>, offset + <paramref name="length"/>) unless held
    /// already, without waiting (a reader that needs them waits for the same fetch; a failure is left to that reader).
    /// </summary>
    public void Prefetch(long offset, long length)
    {
        if (_localRoot is not null || length <= 0) return;
        SequentialReadAhead.StartLoading(_spans.SpanOf(offset), _spans.SpanOf(offset + length - 1), _spanHeld, _loadSpan);
    }

    /// <summary>On a read of the span after the last one read, starts fetching the next few (a file read front to back).</summary>
    private void ReadAhead(int spanId)
    {
        if (_localRoot is not null) return;
        _readAhead.Read(spanId, _spanHeld, _loadSpan);
    }
}
