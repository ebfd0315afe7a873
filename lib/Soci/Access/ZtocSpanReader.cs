using PluggableSnapshotter.Soci.Access;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// Random access into a layer through its zTOC: fetches only the compressed spans a read needs, checks each
/// span against its digest, and decompresses from the span's checkpoint (<see cref="ZtocSpans"/>).
/// </summary>
public sealed class ZtocSpanReader
{
    private readonly CompressedRangeReader _read;

    /// <param name="ztoc">A zTOC from <see cref="ZtocSerializer.Deserialize"/> or the builder (validated).</param>
    /// <param name="read">Reads compressed byte ranges of the layer blob.</param>
    public ZtocSpanReader(Ztoc ztoc, CompressedRangeReader read)
    {
        Spans = new ZtocSpans(ztoc ?? throw new ArgumentNullException(nameof(ztoc)));
        _read = read ?? throw new ArgumentNullException(nameof(read));
    }

    /// <summary>The zTOC's span layout and decoder.</summary>
    public ZtocSpans Spans { get; }

    /// <summary>Fetches span <paramref name="spanId"/>, verifies its digest and returns its uncompressed bytes.</summary>
    public async Task<byte[]> ReadSpanAsync(int spanId, CancellationToken cancellationToken)
    {
        (long start, long end) = Spans.CheckedCompressedSpanRange(spanId);
        ReadOnlyMemory<byte> compressed = await _read(start, (int)(end - start), cancellationToken).ConfigureAwait(false);
        return Spans.DecodeSpan(spanId, compressed);
    }

    /// <summary>Reads uncompressed bytes [offset, offset + destination.Length) of the tar stream.</summary>
    public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        while (!destination.IsEmpty)
        {
            int spanId = Spans.SpanOf(offset);
            (long start, long end) = Spans.UncompressedSpanRange(spanId);
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
            int spanId = Spans.SpanOf(offset);
            (long start, long end) = Spans.UncompressedSpanRange(spanId);
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
