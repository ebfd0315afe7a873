using System.Buffers.Binary;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// The footer that ends a zstd:chunked blob (stargz-snapshotter's <c>estargz/zstdchunked</c>, as <c>ctr-remote image
/// convert --zstdchunked</c> 0.12 writes it, and as containers/storage reads it): a zstd skippable frame (magic
/// <c>0x184D2A50</c>, length 40) whose payload is, little-endian, the TOC's offset (its compressed bytes, just after the
/// TOC's own skippable frame header), the TOC's compressed length, its uncompressed length, the manifest type (1, CRFS:
/// the eStargz TOC) and the magic <c>GnUlInUx</c>. 48 bytes in all. zstd decoders skip both skippable frames, so the
/// blob stays a valid zstd stream of the layer's tar.
/// </summary>
internal static class ZstdChunkedFooter
{
    /// <summary>The footer's size: the skippable frame header and its 40-byte payload.</summary>
    public const int Size = SkippableHeaderSize + PayloadLength;

    /// <summary>A zstd skippable frame's header: magic and length, 4 bytes each.</summary>
    public const int SkippableHeaderSize = 8;

    /// <summary>The only manifest type served: the eStargz TOC JSON (stargz-snapshotter's <c>manifestTypeCRFS</c>).</summary>
    public const long ManifestTypeCrfs = 1;

    private const int PayloadLength = 40;
    private const uint SkippableFrameMagic = 0x184D2A50;

    private static ReadOnlySpan<byte> Magic => "GnUlInUx"u8;

    /// <summary>
    /// Reads the footer at the end of <paramref name="tail"/> (the blob's last bytes). False when there is none: the blob
    /// is not zstd:chunked.
    /// </summary>
    /// <exception cref="InvalidDataException">The footer is there but names an impossible TOC (type, lengths, offset).</exception>
    public static bool TryParse(ReadOnlySpan<byte> tail, out ZstdChunkedToc toc)
    {
        toc = default;
        if (tail.Length < Size) return false;
        var footer = tail[^Size..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != SkippableFrameMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(footer[4..]) != PayloadLength
            || !footer[(Size - Magic.Length)..].SequenceEqual(Magic))
        {
            return false;
        }
        var payload = footer[SkippableHeaderSize..];
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        var compressed = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        var raw = BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]);
        var type = BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]);
        if (type != ManifestTypeCrfs) throw new InvalidDataException($"the zstd:chunked footer names manifest type {type}; only {ManifestTypeCrfs} (the eStargz TOC) is known");
        if (offset is < SkippableHeaderSize or > long.MaxValue) throw new InvalidDataException($"the zstd:chunked footer puts the TOC at {offset}");
        if (compressed is 0 or > TocReader.MaxTocBytes) throw new InvalidDataException($"the zstd:chunked footer gives the TOC {compressed} compressed bytes");
        if (raw is 0 or > TocReader.MaxTocBytes) throw new InvalidDataException($"the zstd:chunked footer gives the TOC {raw} bytes");
        toc = new ZstdChunkedToc((long)offset, (long)compressed, (long)raw);
        return true;
    }

    /// <summary>A footer for a TOC at <paramref name="tocOffset"/> (tests and tools build blobs with it).</summary>
    public static byte[] Create(long tocOffset, long compressedLength, long rawLength, long manifestType = ManifestTypeCrfs)
    {
        var footer = new byte[Size];
        SkippableHeader(PayloadLength).CopyTo(footer, 0);
        var payload = footer.AsSpan(SkippableHeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(payload, tocOffset);
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], compressedLength);
        BinaryPrimitives.WriteInt64LittleEndian(payload[16..], rawLength);
        BinaryPrimitives.WriteInt64LittleEndian(payload[24..], manifestType);
        Magic.CopyTo(payload[32..]);
        return footer;
    }

    /// <summary>The header of a skippable frame of <paramref name="length"/> bytes (the TOC's frame starts with one).</summary>
    public static byte[] SkippableHeader(int length)
    {
        var header = new byte[SkippableHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, SkippableFrameMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), length);
        return header;
    }
}
