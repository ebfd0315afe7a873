using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
using ZstdSharp;

namespace PluggableSnapshotter.Plugins.Estargz.Content;

/// <summary>
/// The bytes of one eStargz layer's files, read on demand: a read fetches the read group holding it with one range
/// request (or takes it from the prefetched section or the layer's partial blob), decompresses each chunk's gzip member
/// or zstd frame, checks it against its <c>chunkDigest</c> and keeps the group in the shared cache. A chunk that does
/// not match (or does not decompress) is never served: reads that need it fail (EIO), reads of the group's other
/// chunks are served, and the next load of the group checks it again. Sequential reads fetch the next groups ahead.
/// </summary>
internal sealed class EstargzContent : ILayerContent
{
    private readonly EstargzLayout _layout;
    private readonly OnDemandFetch _fetch;
    private readonly SpanCache _cache;
    private readonly ImageReference _repository;
    private readonly Descriptor _layer;
    private readonly Func<PartialBlob?>? _partial;
    private readonly bool _verify;
    private readonly int _readaheadGroups;
    private readonly EstargzCompression _compression;

    // Chunks of the groups now held whose bytes did not verify, with why: reads touching one fail. Set and cleared per
    // group load, so a group fetched again (after eviction) gets a fresh check.
    private readonly ConcurrentDictionary<int, string> _badChunks = new();
    private long _fetchedBytes;
    private int _lastGroup = -1;
    private volatile string? _localRoot;
    private volatile byte[]? _prefetched;

    public EstargzContent(EstargzLayout layout, OnDemandFetch fetch, SpanCache cache, ImageReference repository, Descriptor layer, bool verify,
        int readaheadGroups, Func<PartialBlob?>? partial = null, EstargzCompression compression = EstargzCompression.Gzip)
    {
        (_layout, _fetch, _cache, _repository, _layer, _verify, _readaheadGroups, _partial) = (layout, fetch, cache, repository, layer, verify, readaheadGroups, partial);
        _compression = compression;
    }

    public string LayerDigest => _layer.Digest;

    /// <summary>Compressed bytes fetched from the registry for this layer so far (prefetch included).</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

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
        Interlocked.Add(ref _fetchedBytes, bytes.Length);
        _prefetched = bytes;
    }

    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var groupId = _layout.GroupOf(_layout.ChunkAt(offset));
            var group = _layout.Groups[groupId];
            var bytes = await GetGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
            ReadAhead(groupId);
            var count = (int)Math.Min(destination.Length, group.ContentEnd - offset);
            if (!_badChunks.IsEmpty) ThrowIfBad(offset, count);
            bytes.AsMemory((int)(offset - group.ContentStart), count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    // Fetched without the caller's token: other readers may be waiting on the same group.
    private Task<byte[]> GetGroupAsync(int groupId, CancellationToken cancellationToken)
    {
        var group = _layout.Groups[groupId];
        // Loaded off the caller's thread: the cache asks under its lock, and the load may read the partial blob from disk.
        return _cache.GetAsync(new SpanKey(_layer.Digest, groupId), group.ContentEnd - group.ContentStart, () => Task.Run(() => LoadGroupAsync(group)), cancellationToken);
    }

    private async Task<byte[]> LoadGroupAsync(ReadGroup group)
    {
        var length = (int)(group.BlobEnd - group.BlobStart);
        byte[] compressed;
        var start = 0;
        if (_prefetched is { } prefetched && group.BlobEnd <= prefetched.Length)
        {
            (compressed, start) = (prefetched, (int)group.BlobStart);
        }
        else if (_partial?.Invoke() is { } blob && blob.Contains(new ByteRange(group.BlobStart, length)) && TryReadStored(blob, group.BlobStart, length) is { } stored)
        {
            // Fetched before (by the fill or a reader) into the layer's partial blob in the store; chunks are verified below.
            compressed = stored;
        }
        else
        {
            compressed = await _fetch.GetRangeAsync(_repository, _layer.ParsedDigest, new ByteRange(group.BlobStart, length), CancellationToken.None).ConfigureAwait(false);
            Interlocked.Add(ref _fetchedBytes, compressed.Length);
            var (content, allGood) = await Task.Run(() => Decompress(group, compressed, 0)).ConfigureAwait(false);
            // Verified chunk by chunk: kept for the fill (which then skips them) and for reads after a restart.
            if (_verify && allGood && _partial?.Invoke() is { } partial) Keep(partial, group.BlobStart, compressed);
            return content;
        }
        return (await Task.Run(() => Decompress(group, compressed, start)).ConfigureAwait(false)).Output;
    }

    // The partial blob may be closed meanwhile (the layer went local) or the disk full: then the registry serves, as before.
    private static byte[]? TryReadStored(PartialBlob blob, long offset, int length)
    {
        try
        {
            var bytes = new byte[length];
            blob.Read(offset, bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return null;
        }
    }

    // Keeping verified bytes is an optimisation: failing to must not fail the read that fetched them.
    private static void Keep(PartialBlob blob, long offset, byte[] compressed)
    {
        try
        {
            blob.Write(offset, compressed);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // not kept: the fill or a later read fetches these bytes again
        }
    }

    /// <summary>
    /// Each chunk of the group from its member, checked against its digest, one after another in content order. A chunk
    /// that fails is left zero and marked bad (reads of it fail); the others are served.
    /// </summary>
    private (byte[] Output, bool AllGood) Decompress(ReadGroup group, byte[] compressed, int start)
    {
        var output = new byte[group.ContentEnd - group.ContentStart];
        using var zstd = _compression == EstargzCompression.Zstd ? new Decompressor() : null;
        var allGood = true;
        for (var i = group.FirstChunk; i < group.FirstChunk + group.ChunkCount; i++)
        {
            var chunk = _layout.Chunks[i];
            var target = output.AsSpan((int)(chunk.ContentOffset - group.ContentStart), (int)chunk.Size);
            var member = compressed.AsSpan(start + (int)(chunk.BlobOffset - group.BlobStart), (int)(chunk.BlobEnd - chunk.BlobOffset));
            string? problem;
            try
            {
                if (zstd is not null) ZstdFrames.Read(zstd, member, chunk.InnerOffset, target);
                else ReadGzip(compressed, start + (int)(chunk.BlobOffset - group.BlobStart), member.Length, chunk.InnerOffset, target);
                problem = _verify ? Mismatch(chunk, target) : null;
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
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
        return (output, allGood);
    }

    private static void ReadGzip(byte[] compressed, int memberStart, int memberLength, long innerOffset, Span<byte> target)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed, memberStart, memberLength, writable: false), CompressionMode.Decompress);
        Skip(gzip, innerOffset);
        gzip.ReadExactly(target);
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
        var actual = expected.Algorithm == "sha512" ? OciDigest.FromHash("sha512", SHA512.HashData(bytes)) : OciDigest.Compute(bytes);
        return actual == expected ? null : $"layer {_layer.Digest}: a chunk of /{chunk.Path} ({chunk.Size} bytes) is {actual}, not {expected}";
    }

    private static void Skip(Stream stream, long count)
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (count > 0)
        {
            var read = stream.Read(scratch[..(int)Math.Min(count, scratch.Length)]);
            if (read == 0) throw new EndOfStreamException($"the member ends {count} bytes before the chunk starts");
            count -= read;
        }
    }

    /// <summary>On a read of the group after the last one read, starts fetching the next few (a read front to back).</summary>
    private void ReadAhead(int groupId)
    {
        var previous = Interlocked.Exchange(ref _lastGroup, groupId);
        if (previous != groupId - 1 || _readaheadGroups <= 0 || _localRoot is not null) return;
        for (var next = groupId + 1; next <= Math.Min(groupId + _readaheadGroups, _layout.Groups.Count - 1); next++)
        {
            if (_cache.Contains(new SpanKey(_layer.Digest, next))) continue;
            _ = GetGroupAsync(next, CancellationToken.None).ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
