using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Content;

/// <summary>
/// The bytes of one eStargz layer's files, read on demand: a read loads the read group holding it — from the prefetched
/// section, else through the shared <see cref="VerifiedRangeReader"/> (the layer's partial blob first, the rest with one
/// announced range request; stored bytes that fail are forgotten and fetched again; fetched bytes kept once verified) —
/// inflates each gzip member (zstd frame) of the group once, cuts its chunks out of it, checks each against its
/// <c>chunkDigest</c> and keeps the group in the shared cache. A chunk that does not match (or does not decompress) is
/// never served: reads that need it fail (EIO), reads of the group's other chunks are served, and the next load of the
/// group checks it again. Sequential reads fetch the next groups ahead.
/// </summary>
internal sealed class EstargzContent : ILayerContent
{
    private readonly EstargzLayout _layout;
    private readonly OnDemandFetch _fetch;
    private readonly SpanCache _cache;
    private readonly ImageReference _repository;
    private readonly Descriptor _layer;
    private readonly VerifiedRangeReader _ranges;
    private readonly SequentialReadAhead _readAhead;
    private readonly bool _verify;
    private readonly EstargzCompression _compression;

    // Chunks of the groups now held whose bytes did not verify, with why: reads touching one fail. Set and cleared per
    // group load, so a group fetched again (after eviction) gets a fresh check.
    private readonly ConcurrentDictionary<int, string> _badChunks = new();
    private long _prefetchedBytes;
    private long _memberInflations;
    private long _decompressedBytes;
    private volatile string? _localRoot;
    private volatile byte[]? _prefetched;

    public EstargzContent(EstargzLayout layout, OnDemandFetch fetch, SpanCache cache, ImageReference repository, Descriptor layer, bool verify,
        int readaheadGroups, Func<PartialBlob?>? partial = null, EstargzCompression compression = EstargzCompression.Gzip)
    {
        (_layout, _fetch, _cache, _repository, _layer, _verify) = (layout, fetch, cache, repository, layer, verify);
        _compression = compression;
        // Unverified bytes are never kept: the fill (which checks the layer digest) and later reads must not trust them.
        _ranges = new VerifiedRangeReader(fetch, repository, layer.ParsedDigest, partial, keepFetched: verify);
        _readAhead = new SequentialReadAhead(layout.Groups.Count, readaheadGroups);
    }

    public string LayerDigest => _layer.Digest;

    /// <summary>Compressed bytes fetched from the registry for this layer so far (prefetch included).</summary>
    public long FetchedBytes => Interlocked.Read(ref _prefetchedBytes) + _ranges.FetchedBytes;

    /// <summary>Stored compressed bytes forgotten because a chunk they held failed its digest.</summary>
    public long ForgottenBytes => _ranges.ForgottenBytes;

    /// <summary>Gzip members (zstd frames) inflated so far: once per member and group load, however many chunks it holds.</summary>
    public long MemberInflations => Interlocked.Read(ref _memberInflations);

    /// <summary>Uncompressed bytes produced by inflating members so far (what chunks start after included).</summary>
    public long DecompressedBytes => Interlocked.Read(ref _decompressedBytes);

    public string? LocalRoot
    {
        get => _localRoot;
        set
        {
            _localRoot = value;
            if (value is not null) _prefetched = null; // reads go to the local copy now
        }
    }

    /// <summary>
    /// Fetches the optimized image's prefetch section (blob bytes [0, <see cref="EstargzLayout.PrefetchEnd"/>)) with one
    /// range request and keeps it, so the files a container starts with need no further request.
    /// </summary>
    public async Task PrefetchAsync(CancellationToken cancellationToken)
    {
        if (_layout.PrefetchEnd <= 0) return;
        var bytes = await _fetch.GetRangeAsync(_repository, _layer.ParsedDigest, new ByteRange(0, _layout.PrefetchEnd), cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _prefetchedBytes, bytes.Length);
        _prefetched = bytes;
    }

    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var groupId = _layout.GroupOf(_layout.ChunkAt(offset));
            var group = _layout.Groups[groupId];
            using (var bytes = await GetGroupAsync(groupId, cancellationToken).ConfigureAwait(false))
            {
                ReadAhead(groupId);
                var count = (int)Math.Min(destination.Length, group.ContentEnd - offset);
                if (!_badChunks.IsEmpty) ThrowIfBad(offset, count);
                bytes.Memory.Slice((int)(offset - group.ContentStart), count).CopyTo(destination);
                destination = destination[count..];
                offset += count;
            }
        }
    }

    // Fetched without the caller's token: other readers may be waiting on the same group. Loaded off the caller's
    // thread: the cache asks under its lock, and the load may read the partial blob from disk.
    private Task<SpanBuffer> GetGroupAsync(int groupId, CancellationToken cancellationToken)
    {
        var group = _layout.Groups[groupId];
        return _cache.GetAsync(new SpanKey(_layer.Digest, groupId), group.ContentEnd - group.ContentStart, () => Task.Run(() => LoadGroupAsync(group)), cancellationToken);
    }

    /// <summary>Starts loading a group into the cache (read-ahead).</summary>
    private Task LoadGroupIntoCacheAsync(int groupId)
    {
        var group = _layout.Groups[groupId];
        return _cache.LoadAsync(new SpanKey(_layer.Digest, groupId), group.ContentEnd - group.ContentStart, () => Task.Run(() => LoadGroupAsync(group)));
    }

    private async Task<SpanBuffer> LoadGroupAsync(ReadGroup group)
    {
        var range = new ByteRange(group.BlobStart, group.BlobEnd - group.BlobStart);
        if (_prefetched is { } prefetched && group.BlobEnd <= prefetched.Length)
        {
            var (output, allGood) = Decompress(group, prefetched.AsMemory((int)group.BlobStart, (int)range.Length));
            if (allGood) return output;
            // The prefetched bytes fail (a bad read of the section): the store or the registry may have good ones.
            output.Dispose();
        }
        return await _ranges.ReadAsync(range, compressed =>
        {
            var (output, allGood) = Decompress(group, compressed);
            return new DecodedRange<SpanBuffer>(output, allGood);
        }, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Each chunk of the group (<paramref name="compressed"/>: blob bytes [BlobStart, BlobEnd)) cut out of its member,
    /// checked against its digest, one after another in content order; each member is inflated once, front to back. A
    /// chunk that fails is left zero and marked bad (reads of it fail); the others are served.
    /// </summary>
    private (SpanBuffer Output, bool AllGood) Decompress(ReadGroup group, ReadOnlyMemory<byte> compressed)
    {
        if (!MemoryMarshal.TryGetArray(compressed, out var segment)) segment = compressed.ToArray();
        var buffer = _cache.Rent((int)(group.ContentEnd - group.ContentStart));
        var output = buffer.Span;
        output.Clear(); // a reused array: what no chunk covers reads as zero, as in a fresh one
        var allGood = true;
        MemberCursor? member = null;
        try
        {
            for (var i = group.FirstChunk; i < group.FirstChunk + group.ChunkCount; i++)
            {
                var chunk = _layout.Chunks[i];
                var target = output.Slice((int)(chunk.ContentOffset - group.ContentStart), (int)chunk.Size);
                string? problem;
                try
                {
                    if (member is null || !member.Reaches(chunk.BlobOffset, chunk.InnerOffset))
                    {
                        member?.Dispose();
                        member = null;
                        var start = (int)(chunk.BlobOffset - group.BlobStart);
                        member = MemberCursor.Open(_compression, chunk.BlobOffset, segment.Slice(start, (int)(chunk.BlobEnd - chunk.BlobOffset)));
                        Interlocked.Increment(ref _memberInflations);
                    }
                    var before = member.Position;
                    member.Read(chunk.InnerOffset, target);
                    Interlocked.Add(ref _decompressedBytes, member.Position - before);
                    problem = _verify ? Mismatch(chunk, target) : null;
                }
                catch (InvalidDataException e)
                {
                    // The member is not read further: a later chunk of it opens it again (and most likely fails too).
                    member?.Dispose();
                    member = null;
                    problem = $"layer {_layer.Digest}: the chunk of /{chunk.Path} at {chunk.ContentOffset} does not decompress: {e.Message}";
                }
                if (problem is null)
                {
                    _badChunks.TryRemove(i, out _);
                    continue;
                }
                target.Clear();
                allGood = false;
                _badChunks[i] = problem;
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        finally
        {
            member?.Dispose();
        }
        return (buffer, allGood);
    }

    /// <summary>Fails a read of [<paramref name="offset"/>, + <paramref name="count"/>) that needs a chunk that did not verify.</summary>
    private void ThrowIfBad(long offset, int count)
    {
        for (var i = _layout.ChunkAt(offset); i < _layout.Chunks.Count && _layout.Chunks[i].ContentOffset < offset + count; i++)
        {
            if (_badChunks.TryGetValue(i, out var reason)) throw new InvalidDataException(reason);
        }
    }

    /// <summary>Why <paramref name="bytes"/> are not the chunk's, or null when they match its digest.</summary>
    private string? Mismatch(EstargzChunk chunk, ReadOnlySpan<byte> bytes)
    {
        if (chunk.Digest is null) return null; // refused at mount when verification is on
        if (!OciDigest.TryParse(chunk.Digest, out var expected)) return $"layer {_layer.Digest}: chunk of /{chunk.Path} has digest '{chunk.Digest}', not a digest";
        var actual = OciDigest.Compute(expected.Algorithm, bytes);
        return actual == expected ? null : $"layer {_layer.Digest}: a chunk of /{chunk.Path} ({chunk.Size} bytes) is {actual}, not {expected}";
    }

    /// <summary>On a read of the group after the last one read, starts fetching the next few (a read front to back).</summary>
    private void ReadAhead(int groupId)
    {
        if (_localRoot is not null) return;
        _readAhead.Read(groupId, next => _cache.Contains(new SpanKey(_layer.Digest, next)), LoadGroupIntoCacheAsync);
    }
}
