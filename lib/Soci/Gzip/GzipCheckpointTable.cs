using System.Buffers.Binary;

namespace PluggableSnapshotter.Soci.Gzip;

/// <summary>
/// The gzip checkpoint blob (soci-formats.md, "Gzip checkpoints"): int32 count, int64 span_size, then count
/// records of int64 in, int64 out, uint8 bits, 32 KiB window, little-endian. The older v1 layout omits point 0.
/// </summary>
public sealed class GzipCheckpointTable
{
    public const int WindowSize = 32 * 1024;
    public const int HeaderSize = 4 + 8;
    public const int RecordSize = 8 + 8 + 1 + WindowSize;

    /// <summary>The gzip header size v1 blobs assume for their implicit first point.</summary>
    private const long V1FirstIn = 10;

    private static readonly byte[] ZeroWindow = new byte[WindowSize];

    private readonly byte[] _blob;
    private readonly int _firstRecordIndex;

    private GzipCheckpointTable(byte[] blob, int count, long spanSize, bool isV1)
    {
        _blob = blob;
        Count = count;
        SpanSize = spanSize;
        IsV1 = isV1;
        _firstRecordIndex = isV1 ? 1 : 0;
    }

    public int Count { get; }
    public long SpanSize { get; }

    /// <summary>True for the older layout without an explicit point 0.</summary>
    public bool IsV1 { get; }

    public GzipCheckpoint this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            if (IsV1 && index == 0)
            {
                return new GzipCheckpoint(V1FirstIn, 0, 0, ZeroWindow);
            }
            int at = HeaderSize + ((index - _firstRecordIndex) * RecordSize);
            ReadOnlySpan<byte> r = _blob.AsSpan(at, RecordSize);
            return new GzipCheckpoint(
                BinaryPrimitives.ReadInt64LittleEndian(r),
                BinaryPrimitives.ReadInt64LittleEndian(r[8..]),
                r[16],
                _blob.AsMemory(at + 17, WindowSize));
        }
    }

    /// <summary>
    /// Reads a blob, checking its length against the count it states before touching any record, and the
    /// records against each other and the archive sizes.
    /// </summary>
    public static GzipCheckpointTable Parse(byte[] blob, long compressedSize)
    {
        if (blob.Length < HeaderSize)
        {
            throw new InvalidDataException($"gzip checkpoints blob is {blob.Length} bytes, shorter than its {HeaderSize}-byte header");
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(blob);
        long spanSize = BinaryPrimitives.ReadInt64LittleEndian(blob.AsSpan(4));
        if (count <= 0)
        {
            throw new InvalidDataException($"gzip checkpoints blob states {count} checkpoints; at least one is required");
        }
        if (spanSize <= 0)
        {
            throw new InvalidDataException($"gzip checkpoints blob states span size {spanSize}");
        }
        long current = HeaderSize + ((long)count * RecordSize);
        long older = current - RecordSize;
        if (blob.Length != current && blob.Length != older)
        {
            throw new InvalidDataException(
                $"gzip checkpoints blob is {blob.Length} bytes but states {count} checkpoints ({current} bytes expected)");
        }
        var table = new GzipCheckpointTable(blob, count, spanSize, blob.Length == older);
        table.Validate(compressedSize);
        return table;
    }

    /// <summary>Serializes checkpoints in the current layout.</summary>
    public static byte[] Serialize(long spanSize, IReadOnlyList<GzipCheckpoint> points)
    {
        var blob = new byte[HeaderSize + ((long)points.Count * RecordSize)];
        BinaryPrimitives.WriteInt32LittleEndian(blob, points.Count);
        BinaryPrimitives.WriteInt64LittleEndian(blob.AsSpan(4), spanSize);
        for (int i = 0; i < points.Count; i++)
        {
            Span<byte> r = blob.AsSpan(HeaderSize + (i * RecordSize), RecordSize);
            BinaryPrimitives.WriteInt64LittleEndian(r, points[i].In);
            BinaryPrimitives.WriteInt64LittleEndian(r[8..], points[i].Out);
            r[16] = points[i].Bits;
            points[i].Window.Span.CopyTo(r[17..]);
        }
        return blob;
    }

    /// <summary>Compressed byte range [start, end) of span <paramref name="spanId"/>.</summary>
    public (long Start, long End) SpanRange(int spanId, long compressedSize) =>
        (this[spanId].SpanStart, spanId + 1 < Count ? this[spanId + 1].In : compressedSize);

    private void Validate(long compressedSize)
    {
        GzipCheckpoint previous = default;
        for (int i = 0; i < Count; i++)
        {
            GzipCheckpoint p = this[i];
            if (p.Bits > 7)
            {
                throw new InvalidDataException($"gzip checkpoint {i} has {p.Bits} bits (0..7 allowed)");
            }
            if (p.In < 1 || p.In > compressedSize || p.Out < 0)
            {
                throw new InvalidDataException(
                    $"gzip checkpoint {i} (in={p.In}, out={p.Out}) lies outside the {compressedSize}-byte archive");
            }
            if (i == 0 && p.Out != 0)
            {
                throw new InvalidDataException($"gzip checkpoint 0 starts at uncompressed offset {p.Out}, not 0");
            }
            if (i > 0 && (p.In <= previous.In || p.Out <= previous.Out))
            {
                throw new InvalidDataException(
                    $"gzip checkpoint {i} (in={p.In}, out={p.Out}) does not follow checkpoint {i - 1} (in={previous.In}, out={previous.Out})");
            }
            previous = p;
        }
    }
}
