using System.Security.Cryptography;
using PluggableSnapshotter.Registry.Streams;
using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.Soci.Gzip;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// A layer blob read from its start, passed through unchanged while each zTOC span's compressed bytes are checked
/// against the span's digest as they go by: once spans 0..i matched (and, for gzip, the bytes before span 0 are one
/// gzip header ending where span 0 starts), whatever decompresses the stream has taken its uncompressed bytes
/// [0, end of span i) from verified bytes only, which <paramref name="verifiedThrough"/> is told. A mismatch is told to
/// <paramref name="failed"/> once and nothing more is verified; the stream still passes every byte on (the reader's own
/// check, the blob digest, decides what the bytes are worth).
/// </summary>
public sealed class SpanCheckingStream(Stream inner, ZtocSpans spans, Action<long> verifiedThrough, Action<string> failed) : ForwardReadStream
{
    /// <summary>The most header bytes kept to check (a gzip header with a 64 KiB extra field and a name).</summary>
    private const int MaxHeaderBytes = 1 << 20;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly MemoryStream _header = new();
    private long _position;
    private int _span; // the span being hashed
    private bool _spanStarted;
    private long _hashedTo; // the next byte of the blob the span being hashed takes
    private bool _stopped; // all spans done, or one failed
    private bool _disposed;

    public override long Position => _position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Check(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Check(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Check(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var (chunkStart, chunkEnd) = (_position, _position + data.Length);
        _position = chunkEnd;
        if (_stopped) return;
        try
        {
            while (_span < spans.SpanCount)
            {
                var (start, end) = spans.CompressedSpanRange(_span);
                if (!_spanStarted)
                {
                    if (_span == 0) KeepHeader(data, chunkStart, start);
                    if (start >= chunkEnd) return;
                    if (_span == 0) CheckHeader(start);
                    (_spanStarted, _hashedTo) = (true, start);
                }
                var from = Math.Max(_hashedTo, chunkStart);
                var to = Math.Min(end, chunkEnd);
                if (to > from) _hash.AppendData(data[(int)(from - chunkStart)..(int)(to - chunkStart)]);
                _hashedTo = Math.Max(_hashedTo, to);
                if (end > chunkEnd) return;
                var digest = SpanDigest.Finish(_hash);
                if (!string.Equals(digest, spans.SpanDigestOf(_span), StringComparison.Ordinal))
                    throw new InvalidDataException($"span {_span} has digest {digest}, the zTOC says {spans.SpanDigestOf(_span)}");
                verifiedThrough(spans.UncompressedSpanRange(_span).End);
                _span++;
                _spanStarted = false;
                if (_span == spans.SpanCount) break;
                // Spans follow each other with no byte between them; one may start on the last byte of the one before
                // (checkpoint bits), which is in this chunk (the span before ended in it).
                var next = spans.CompressedSpanRange(_span).Start;
                if (next == end - 1)
                {
                    _hash.AppendData(data.Slice((int)(end - 1 - chunkStart), 1));
                    (_spanStarted, _hashedTo) = (true, end);
                }
                else if (next != end)
                {
                    throw new InvalidDataException($"span {_span} starts at {next}, not where span {_span - 1} ends ({end})");
                }
            }
            _stopped = true;
        }
        catch (InvalidDataException e)
        {
            _stopped = true;
            failed(e.Message);
        }
    }

    // The bytes before span 0 (a gzip header; none for a plain tar).
    private void KeepHeader(ReadOnlySpan<byte> data, long chunkStart, long headerEnd)
    {
        if (_span != 0 || chunkStart >= headerEnd) return;
        if (headerEnd > MaxHeaderBytes) throw new InvalidDataException($"span 0 starts at {headerEnd}, past any gzip header");
        _header.Write(data[..(int)(Math.Min(headerEnd, chunkStart + data.Length) - chunkStart)]);
    }

    private void CheckHeader(long start)
    {
        if (!spans.Gzip)
        {
            if (start != 0) throw new InvalidDataException($"span 0 of a plain tar starts at {start}, not 0");
            return;
        }
        var header = _header.GetBuffer().AsSpan(0, (int)_header.Length);
        if (GzipMemberHeader.Length(header) != start)
            throw new InvalidDataException($"the gzip header does not end where span 0 starts ({start})");
    }

    // Once, however many owners dispose it (the applier and its read-ahead both do).
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            inner.Dispose();
            _hash.Dispose();
            _header.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await inner.DisposeAsync().ConfigureAwait(false);
            _hash.Dispose();
            _header.Dispose();
        }
        await base.DisposeAsync().ConfigureAwait(false); // Dispose(true) then finds it done
    }
}
