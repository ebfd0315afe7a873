using System.Buffers.Binary;
using System.Globalization;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// The footer that ends every eStargz (and legacy stargz) blob: an empty gzip member whose Extra field holds the TOC's
/// offset as <c>%016x</c> followed by <c>STARGZ</c>. eStargz wraps it in an Extra subfield <c>SG</c> (51 bytes in all:
/// 10 header, 2 XLEN=26, 2 subfield id, 2 subfield length=22, 22 payload, 5 empty stored block, 8 trailer); legacy
/// stargz puts the payload straight into the Extra field (47 bytes, XLEN=22).
/// </summary>
internal static class EstargzFooter
{
    /// <summary>The eStargz footer's size.</summary>
    public const int Size = 51;

    /// <summary>The legacy stargz footer's size.</summary>
    public const int LegacySize = 47;

    private const int PayloadLength = 22; // 16 hex digits + "STARGZ"
    private const byte FlagExtra = 0x04;

    /// <summary>
    /// Reads the footer at the end of <paramref name="tail"/> (the blob's last bytes, at least <see cref="LegacySize"/>).
    /// False when neither form is there: the blob is not (e)stargz.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> tail, out long tocOffset, out int footerSize)
    {
        if (tail.Length >= Size && TryParseEstargz(tail[^Size..], out tocOffset))
        {
            footerSize = Size;
            return true;
        }
        if (tail.Length >= LegacySize && TryParseLegacy(tail[^LegacySize..], out tocOffset))
        {
            footerSize = LegacySize;
            return true;
        }
        (tocOffset, footerSize) = (0, 0);
        return false;
    }

    private static bool TryParseEstargz(ReadOnlySpan<byte> footer, out long tocOffset)
    {
        tocOffset = 0;
        return IsGzipWithExtra(footer, PayloadLength + 4)
            && footer[12] == 'S' && footer[13] == 'G'
            && BinaryPrimitives.ReadUInt16LittleEndian(footer[14..]) == PayloadLength
            && TryParsePayload(footer.Slice(16, PayloadLength), out tocOffset);
    }

    private static bool TryParseLegacy(ReadOnlySpan<byte> footer, out long tocOffset)
    {
        tocOffset = 0;
        return IsGzipWithExtra(footer, PayloadLength) && TryParsePayload(footer.Slice(12, PayloadLength), out tocOffset);
    }

    private static bool IsGzipWithExtra(ReadOnlySpan<byte> footer, int extraLength) =>
        footer[0] == 0x1f && footer[1] == 0x8b && footer[2] == 8 && (footer[3] & FlagExtra) != 0
        && BinaryPrimitives.ReadUInt16LittleEndian(footer[10..]) == extraLength;

    private static bool TryParsePayload(ReadOnlySpan<byte> payload, out long tocOffset)
    {
        tocOffset = 0;
        if (!payload[16..].SequenceEqual("STARGZ"u8)) return false;
        Span<char> hex = stackalloc char[16];
        for (var i = 0; i < 16; i++) hex[i] = (char)payload[i];
        return long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out tocOffset) && tocOffset >= 0;
    }

    /// <summary>A footer for a TOC at <paramref name="tocOffset"/> (tests and tools build blobs with it).</summary>
    public static byte[] Create(long tocOffset, bool legacy = false)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes($"{tocOffset:x16}STARGZ");
        var extra = legacy ? payload : [(byte)'S', (byte)'G', PayloadLength, 0, .. payload];
        byte[] header = [0x1f, 0x8b, 8, FlagExtra, 0, 0, 0, 0, 0, 0xff, (byte)extra.Length, 0];
        // An empty final stored block, then CRC-32 and size of no data.
        byte[] rest = [1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
        return [.. header, .. extra, .. rest];
    }
}
