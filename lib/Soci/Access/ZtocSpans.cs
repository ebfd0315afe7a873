using PluggableSnapshotter.Soci.Access;
using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.Soci.Flatbuffers;
using PluggableSnapshotter.Soci.Gzip;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// A zTOC's spans without any I/O: where each span lies in the compressed blob and in the tar stream, and how its
/// compressed bytes are checked against the span digest and decompressed from the span's checkpoint. Callers read the
/// compressed bytes their own way (<see cref="ZtocSpanReader"/> through a range reader; the lazy backend through its
/// partial blob and the registry).
/// </summary>
public sealed class ZtocSpans
{
    /// <summary>How far past the span size a span may run: a deflate block can end well after the span boundary.</summary>
    private const long MaxSpanOvershoot = 64L * 1024 * 1024;

    /// <summary>No span is decompressed into more than this, whatever span size a zTOC states.</summary>
    private const long MaxSpanBytes = 1L << 30;

    private readonly Ztoc _ztoc;
    private readonly GzipCheckpointTable? _checkpoints;
    private readonly long _spanSize;

    /// <param name="ztoc">A zTOC from <see cref="ZtocSerializer.Deserialize"/> or the builder (validated).</param>
    public ZtocSpans(Ztoc ztoc)
    {
        _ztoc = ztoc ?? throw new ArgumentNullException(nameof(ztoc));
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

    /// <summary>Whether the blob is gzip (its spans start after the gzip header at checkpoints), not a plain tar.</summary>
    public bool Gzip => _checkpoints is not null;

    /// <summary>The digest ("sha256:...") of span <paramref name="spanId"/>'s compressed bytes.</summary>
    public string SpanDigestOf(int spanId) => _ztoc.CompressionInfo.SpanDigests[spanId];

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

    /// <summary>
    /// The compressed range of span <paramref name="spanId"/> to read, checked first against what the span may hold.
    /// </summary>
    /// <exception cref="InvalidDataException">The zTOC claims more bytes for the span than any span may hold.</exception>
    public (long Start, long End) CheckedCompressedSpanRange(int spanId)
    {
        CheckUncompressedSize(spanId);
        (long start, long end) = CompressedSpanRange(spanId);
        if (end - start > int.MaxValue)
        {
            throw new InvalidDataException($"zTOC span {spanId} covers {end - start} compressed bytes");
        }
        return (start, end);
    }

    /// <summary>
    /// Checks span <paramref name="spanId"/>'s compressed bytes (read by the caller from <see cref="CompressedSpanRange"/>)
    /// against its digest and returns its uncompressed bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not the span's (length or digest), or do not decompress.</exception>
    public byte[] DecodeSpan(int spanId, ReadOnlyMemory<byte> compressed)
    {
        (long uStart, long uEnd) = CheckUncompressedSize(spanId);
        var output = new byte[uEnd - uStart];
        DecodeSpan(spanId, compressed, output);
        return output;
    }

    /// <summary>
    /// As <see cref="DecodeSpan(int, ReadOnlyMemory{byte})"/>, into <paramref name="output"/>, which must be exactly the
    /// span's uncompressed length (<see cref="UncompressedSpanRange"/>).
    /// </summary>
    public void DecodeSpan(int spanId, ReadOnlyMemory<byte> compressed, Span<byte> output)
    {
        (long uStart, long uEnd) = CheckUncompressedSize(spanId);
        (long cStart, long cEnd) = CompressedSpanRange(spanId);
        if (output.Length != uEnd - uStart)
        {
            throw new ArgumentException($"span {spanId} holds {uEnd - uStart} bytes, not {output.Length}", nameof(output));
        }
        if (compressed.Length != cEnd - cStart)
        {
            throw new InvalidDataException($"layer returned {compressed.Length} bytes for span {spanId}, expected {cEnd - cStart}");
        }
        string digest = SpanDigest.Of(compressed.Span);
        if (digest != _ztoc.CompressionInfo.SpanDigests[spanId])
        {
            throw new InvalidDataException($"span {spanId} has digest {digest}, the zTOC says {_ztoc.CompressionInfo.SpanDigests[spanId]}");
        }
        if (_checkpoints is null)
        {
            compressed.Span.CopyTo(output);
            return;
        }
        SpanInflater.Inflate(_checkpoints[spanId], compressed.Span, output, spanId);
    }

    private (long Start, long End) CheckUncompressedSize(int spanId)
    {
        (long start, long end) = UncompressedSpanRange(spanId);
        if (end - start > Math.Min(_spanSize + MaxSpanOvershoot, MaxSpanBytes))
        {
            throw new InvalidDataException($"zTOC span {spanId} claims {end - start} uncompressed bytes, far beyond its span size {_spanSize}");
        }
        return (start, end);
    }
}
