using PluggableSnapshotter.Soci.Access;
using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.Soci.Flatbuffers;
using PluggableSnapshotter.Soci.Gzip;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// Random access into a layer through its zTOC: fetches only the compressed spans a read needs, checks each
/// span against its digest, and decompresses from the span's checkpoint.
/// </summary>
public sealed class ZtocSpanReader
{
    /// <summary>How far past the span size a span may run: a deflate block can end well after the span boundary.</summary>
    private const long MaxSpanOvershoot = 64L * 1024 * 1024;

    /// <summary>No span is decompressed into more than this, whatever span size a zTOC states.</summary>
    private const long MaxSpanBytes = 1L << 30;

    private readonly Ztoc _ztoc;
    private readonly CompressedRangeReader _read;
    private readonly GzipCheckpointTable? _checkpoints;
    private readonly long _spanSize;
    private readonly Action<long, ReadOnlyMemory<byte>>? _verified;

    /// <param name="ztoc">A zTOC from <see cref="ZtocSerializer.Deserialize"/> or the builder (validated).</param>
    /// <param name="read">Reads compressed byte ranges of the layer blob.</param>
    public ZtocSpanReader(Ztoc ztoc, CompressedRangeReader read)
        : this(ztoc, read, verified: null)
    {
    }

    /// <param name="ztoc">A zTOC from <see cref="ZtocSerializer.Deserialize"/> or the builder (validated).</param>
    /// <param name="read">Reads compressed byte ranges of the layer blob.</param>
    /// <param name="verified">
    /// Called with a span's compressed offset and bytes once they matched the span digest, before they are decompressed
    /// (a caller keeping fetched bytes on disk keeps only verified ones).
    /// </param>
    public ZtocSpanReader(Ztoc ztoc, CompressedRangeReader read, Action<long, ReadOnlyMemory<byte>>? verified)
    {
        _verified = verified;
        _ztoc = ztoc ?? throw new ArgumentNullException(nameof(ztoc));
        _read = read ?? throw new ArgumentNullException(nameof(read));
        if (ztoc.CompressionInfo.Algorithm == CompressionAlgorithm.Gzip)
        {
            _checkpoints = GzipCheckpointTable.Parse(ztoc.CompressionInfo.Checkpoints, ztoc.CompressedArchiveSize);
            _spanSize = _checkpoints.SpanSize;
        }
        else
        {
            _spanSize = FbTarZinfo.Read(ztoc.CompressionInfo.Checkpoints).SpanSize;
        }
    }

    public int SpanCount => _ztoc.CompressionInfo.MaxSpanId + 1;

    /// <summary>The span size the zTOC was built with (from its checkpoints).</summary>
    public long SpanSize => _spanSize;

    /// <summary>Compressed range [Start, End) of the blob that span <paramref name="spanId"/> is read from.</summary>
    public (long Start, long End) CompressedSpanRange(int spanId)
    {
        (long uStart, long uEnd) = UncompressedSpanRange(spanId);
        return _checkpoints?.SpanRange(spanId, _ztoc.CompressedArchiveSize) ?? (uStart, uEnd);
    }

    /// <summary>Uncompressed range [Start, End) that span <paramref name="spanId"/> decompresses to.</summary>
    public (long Start, long End) UncompressedSpanRange(int spanId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spanId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(spanId, SpanCount);
        if (_checkpoints is null)
        {
            long start = spanId * _spanSize;
            return (start, Math.Min(start + _spanSize, _ztoc.CompressedArchiveSize));
        }
        long from = _checkpoints[spanId].Out;
        long to = spanId + 1 < SpanCount ? _checkpoints[spanId + 1].Out : Math.Max(from, _ztoc.UncompressedArchiveSize);
        return (from, to);
    }

    /// <summary>The span holding uncompressed offset <paramref name="offset"/>.</summary>
    public int SpanOf(long offset)
    {
        if (_checkpoints is null)
        {
            return (int)Math.Min(offset / _spanSize, SpanCount - 1);
        }
        int lo = 0, hi = SpanCount - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_checkpoints[mid].Out <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /// <summary>Fetches span <paramref name="spanId"/>, verifies its digest and returns its uncompressed bytes.</summary>
    public async Task<byte[]> ReadSpanAsync(int spanId, CancellationToken cancellationToken)
    {
        (long uStart, long uEnd) = UncompressedSpanRange(spanId);
        if (uEnd - uStart > Math.Min(_spanSize + MaxSpanOvershoot, MaxSpanBytes))
        {
            throw new InvalidDataException($"zTOC span {spanId} claims {uEnd - uStart} uncompressed bytes, far beyond its span size {_spanSize}");
        }
        (long cStart, long cEnd) = _checkpoints?.SpanRange(spanId, _ztoc.CompressedArchiveSize) ?? (uStart, uEnd);
        if (cEnd - cStart > int.MaxValue)
        {
            throw new InvalidDataException($"zTOC span {spanId} covers {cEnd - cStart} compressed bytes");
        }
        ReadOnlyMemory<byte> compressed = await _read(cStart, (int)(cEnd - cStart), cancellationToken).ConfigureAwait(false);
        return DecodeSpan(spanId, compressed);
    }

    /// <summary>
    /// Checks span <paramref name="spanId"/>'s compressed bytes (read by the caller from <see cref="CompressedSpanRange"/>)
    /// against its digest and returns its uncompressed bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not the span's (length or digest), or do not decompress.</exception>
    public byte[] DecodeSpan(int spanId, ReadOnlyMemory<byte> compressed)
    {
        (long uStart, long uEnd) = UncompressedSpanRange(spanId);
        if (uEnd - uStart > Math.Min(_spanSize + MaxSpanOvershoot, MaxSpanBytes))
        {
            throw new InvalidDataException($"zTOC span {spanId} claims {uEnd - uStart} uncompressed bytes, far beyond its span size {_spanSize}");
        }
        (long cStart, long cEnd) = CompressedSpanRange(spanId);
        if (compressed.Length != cEnd - cStart)
        {
            throw new InvalidDataException($"layer returned {compressed.Length} bytes for span {spanId}, expected {cEnd - cStart}");
        }
        string digest = SpanDigest.Of(compressed.Span);
        if (digest != _ztoc.CompressionInfo.SpanDigests[spanId])
        {
            throw new InvalidDataException($"span {spanId} has digest {digest}, the zTOC says {_ztoc.CompressionInfo.SpanDigests[spanId]}");
        }
        _verified?.Invoke(cStart, compressed);
        if (_checkpoints is null)
        {
            return compressed.ToArray();
        }
        var output = new byte[uEnd - uStart];
        SpanInflater.Inflate(_checkpoints[spanId], compressed.Span, output, spanId);
        return output;
    }

    /// <summary>Reads uncompressed bytes [offset, offset + destination.Length) of the tar stream.</summary>
    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        while (!destination.IsEmpty)
        {
            int spanId = SpanOf(offset);
            (long start, long end) = UncompressedSpanRange(spanId);
            if (offset >= end)
            {
                throw new InvalidDataException($"uncompressed offset {offset} lies past the end of the layer ({end})");
            }
            byte[] span = await ReadSpanAsync(spanId, cancellationToken).ConfigureAwait(false);
            int n = (int)Math.Min(destination.Length, end - offset);
            span.AsMemory((int)(offset - start), n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }
    }

    /// <summary>Copies a regular file's bytes to <paramref name="destination"/>, one verified span at a time.</summary>
    public async Task CopyFileToAsync(FileMetadata file, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(destination);
        if (file.Type != TarEntryTypes.Regular)
        {
            throw new ArgumentException($"{file.Name} is a {file.Type}, not a regular file", nameof(file));
        }
        long offset = file.UncompressedOffset, remaining = file.UncompressedSize;
        while (remaining > 0)
        {
            int spanId = SpanOf(offset);
            (long start, long end) = UncompressedSpanRange(spanId);
            byte[] span = await ReadSpanAsync(spanId, cancellationToken).ConfigureAwait(false);
            int n = (int)Math.Min(remaining, end - offset);
            if (n <= 0)
            {
                throw new InvalidDataException($"{file.Name} runs past the end of the layer");
            }
            await destination.WriteAsync(span.AsMemory((int)(offset - start), n), cancellationToken).ConfigureAwait(false);
            offset += n;
            remaining -= n;
        }
    }

    /// <summary>
    /// Checks that a valid tar header (checksum, type, size) ends where the entry's data starts: a zTOC that
    /// points into the middle of other data fails here before any of its bytes are served.
    /// </summary>
    public async Task VerifyTarHeaderAsync(FileMetadata file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        long at = file.UncompressedOffset - PluggableSnapshotter.Tar.TarArchiveReader.BlockSize;
        var block = new byte[PluggableSnapshotter.Tar.TarArchiveReader.BlockSize];
        await ReadAsync(at, block, cancellationToken).ConfigureAwait(false);
        PluggableSnapshotter.Tar.TarHeader header;
        try
        {
            header = PluggableSnapshotter.Tar.TarHeader.DecodeBlock(block, at);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"zTOC entry {file.Name}: no valid tar header before its data at {file.UncompressedOffset} ({e.Message})", e);
        }
        bool sizeFromPax = file.PaxRecords.Any(r => r.Key == PluggableSnapshotter.Tar.PaxRecordParser.Size);
        if (Tar.TarTocReader.EntryType(header.TypeFlag) != file.Type || (!sizeFromPax && header.Size != file.UncompressedSize))
        {
            throw new InvalidDataException(
                $"zTOC entry {file.Name} ({file.Type}, {file.UncompressedSize} bytes) disagrees with its tar header ('{(char)header.TypeFlag}', {header.Size} bytes)");
        }
    }

    /// <summary>A regular file's bytes in memory.</summary>
    public async Task<byte[]> ReadFileAsync(FileMetadata file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var buffer = new MemoryStream(checked((int)file.UncompressedSize));
        await CopyFileToAsync(file, buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
