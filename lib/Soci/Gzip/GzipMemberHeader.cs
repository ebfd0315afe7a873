namespace PluggableSnapshotter.Soci.Gzip;

/// <summary>Finds where a gzip member header ends (RFC 1952 section 2.3), to hop between concatenated members.</summary>
internal static class GzipMemberHeader
{
    /// <summary>The 8-byte CRC32 + ISIZE that ends every member.</summary>
    public const int TrailerSize = 8;

    private const byte FlagHeaderCrc = 2, FlagExtra = 4, FlagName = 8, FlagComment = 16;

    /// <summary>Length of the member header at the start of <paramref name="data"/>.</summary>
    public static int Length(ReadOnlySpan<byte> data)
    {
        if (data.Length < 10 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8)
        {
            throw new InvalidDataException("expected a gzip member header (1f 8b 08) after the previous member");
        }
        byte flags = data[3];
        int at = 10;
        if ((flags & FlagExtra) != 0)
        {
            Need(data, at + 2);
            at += 2 + (data[at] | (data[at + 1] << 8));
        }
        foreach (byte flag in new[] { FlagName, FlagComment })
        {
            if ((flags & flag) != 0)
            {
                Need(data, at + 1);
                int nul = data[at..].IndexOf((byte)0);
                if (nul < 0)
                {
                    throw new InvalidDataException("gzip member header has an unterminated name or comment");
                }
                at += nul + 1;
            }
        }
        if ((flags & FlagHeaderCrc) != 0)
        {
            at += 2;
        }
        Need(data, at);
        return at;
    }

    private static void Need(ReadOnlySpan<byte> data, int length)
    {
        if (data.Length < length)
        {
            throw new InvalidDataException("gzip member header is cut short");
        }
    }
}
