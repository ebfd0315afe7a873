using System.Text;

namespace PluggableSnapshotter.Tar;

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

    /// <summary>GNU: access and change times (seconds; zero first byte when absent), the sparse file's real size.</summary>
    public ReadOnlySpan<byte> GnuAccessTime => _b.Slice(345, 12);
    public ReadOnlySpan<byte> GnuChangeTime => _b.Slice(357, 12);
    public long GnuRealSize(ref bool bad) => ParseNumeric(_b.Slice(483, 12), ref bad);

    /// <summary>STAR: access time (seconds).</summary>
    public ReadOnlySpan<byte> StarAccessTime => _b.Slice(476, 12);

    /// <summary>The raw USTAR prefix field (GNU headers written by Go before 1.8 put a prefix there).</summary>
    public byte[] UstarPrefixBytes => CString(_b.Slice(345, 155)).ToArray();

    /// <summary>Old GNU sparse map in the main header: four (offset, length) pairs from byte 386, "extended" flag at 482.</summary>
    public SparseArea GnuSparse => new(_b.Slice(386, 4 * 24), _b[482] != 0);

    /// <summary>An old GNU sparse extension block: 21 pairs, "extended" flag at 504.</summary>
    public SparseArea GnuSparseExtension => new(_b[..(21 * 24)], _b[504] != 0);

    /// <summary>Pairs of 12-byte numeric fields; a pair whose offset starts with NUL ends the list (as GNU and BSD tar do).</summary>
    public readonly ref struct SparseArea(ReadOnlySpan<byte> pairs, bool isExtended)
    {
        private readonly ReadOnlySpan<byte> _pairs = pairs;

        public bool IsExtended { get; } = isExtended;

        public void AddTo(List<SparseFragment> fragments, ref bool bad)
        {
            for (int i = 0; i + 24 <= _pairs.Length; i += 24)
            {
                if (_pairs[i] == 0)
                {
                    break;
                }
                fragments.Add(new SparseFragment(ParseNumeric(_pairs.Slice(i, 12), ref bad), ParseNumeric(_pairs.Slice(i + 12, 12), ref bad)));
            }
        }
    }

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

    /// <summary>Go's parseNumeric: base-256 (GNU) or octal; sets <paramref name="bad"/> on a malformed or overflowing field.</summary>
    public static long ParseNumeric(ReadOnlySpan<byte> field, ref bool bad)
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
