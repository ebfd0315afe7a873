using System.Text;

namespace PluggableSnapshotter.Soci.Tar;

/// <summary>
/// One 512-byte tar header, decoded the way Go's archive/tar decodes it (V7, USTAR/PAX, STAR and GNU
/// layouts; octal or base-256 numbers; checksum signed or unsigned).
/// </summary>
internal readonly ref struct TarHeaderBlock
{
    public const int Size = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly ReadOnlySpan<byte> _b;

    public TarHeaderBlock(ReadOnlySpan<byte> block) => _b = block;

    public bool IsZero => _b.IndexOfAnyExcept((byte)0) < 0;

    public byte TypeFlag => _b[156];

    public TarFormat Format
    {
        get
        {
            long stored = ParseOctal(_b.Slice(148, 8), out bool bad);
            (long unsignedSum, long signedSum) = Checksums();
            if (bad || (stored != unsignedSum && stored != signedSum))
            {
                return TarFormat.Unknown;
            }
            ReadOnlySpan<byte> magic = _b.Slice(257, 6);
            if (magic.SequenceEqual("ustar\0"u8))
            {
                return _b.Slice(508, 4).SequenceEqual("tar\0"u8) ? TarFormat.Star : TarFormat.Ustar;
            }
            return magic.SequenceEqual("ustar "u8) && _b.Slice(263, 2).SequenceEqual(" \0"u8) ? TarFormat.Gnu : TarFormat.V7;
        }
    }

    public byte[] NameBytes => CString(_b[..100]).ToArray();
    public byte[] LinkNameBytes => CString(_b.Slice(157, 100)).ToArray();

    public long Mode(ref bool bad) => ParseNumeric(_b.Slice(100, 8), ref bad);
    public long Uid(ref bool bad) => ParseNumeric(_b.Slice(108, 8), ref bad);
    public long Gid(ref bool bad) => ParseNumeric(_b.Slice(116, 8), ref bad);
    public long DataSize(ref bool bad) => ParseNumeric(_b.Slice(124, 12), ref bad);
    public long ModTime(ref bool bad) => ParseNumeric(_b.Slice(136, 12), ref bad);
    public byte[] UnameBytes => CString(_b.Slice(265, 32)).ToArray();
    public byte[] GnameBytes => CString(_b.Slice(297, 32)).ToArray();
    public long DevMajor(ref bool bad) => ParseNumeric(_b.Slice(329, 8), ref bad);
    public long DevMinor(ref bool bad) => ParseNumeric(_b.Slice(337, 8), ref bad);

    /// <summary>The name prefix of USTAR (155 bytes) or STAR (131 bytes); GNU and V7 have none.</summary>
    public byte[] Prefix(TarFormat format) => format switch
    {
        TarFormat.Ustar => CString(_b.Slice(345, 155)).ToArray(),
        TarFormat.Star => CString(_b.Slice(345, 131)).ToArray(),
        _ => [],
    };

    public static string Text(byte[] bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"tar {what} is not valid UTF-8: {Convert.ToHexString(bytes)}");
        }
    }

    public static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return nul < 0 ? field : field[..nul];
    }

    private (long Unsigned, long Signed) Checksums()
    {
        long u = 0, s = 0;
        for (int i = 0; i < Size; i++)
        {
            byte c = i is >= 148 and < 156 ? (byte)' ' : _b[i];
            u += c;
            s += (sbyte)c;
        }
        return (u, s);
    }

    private static long ParseNumeric(ReadOnlySpan<byte> field, ref bool bad)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            // Base-256 (GNU): big-endian two's complement with the top bit as a marker.
            byte inv = (field[0] & 0x40) != 0 ? (byte)0xff : (byte)0;
            ulong x = 0;
            for (int i = 0; i < field.Length; i++)
            {
                byte c = (byte)(field[i] ^ inv);
                if (i == 0)
                {
                    c &= 0x7f;
                }
                if ((x >> 56) > 0)
                {
                    bad = true;
                    return 0;
                }
                x = (x << 8) | c;
            }
            if ((x >> 63) > 0)
            {
                bad = true;
                return 0;
            }
            return inv == 0xff ? ~(long)x : (long)x;
        }
        long value = ParseOctal(field, out bool octalBad);
        bad |= octalBad;
        return value;
    }

    private static long ParseOctal(ReadOnlySpan<byte> field, out bool bad)
    {
        bad = false;
        ReadOnlySpan<byte> trimmed = field.Trim(" \0"u8);
        trimmed = CString(trimmed);
        if (trimmed.IsEmpty)
        {
            return 0;
        }
        ulong x = 0;
        foreach (byte c in trimmed)
        {
            if (c is < (byte)'0' or > (byte)'7' || (x >> 61) != 0)
            {
                bad = true;
                return 0;
            }
            x = (x << 3) | (uint)(c - '0');
        }
        return (long)x;
    }
}
