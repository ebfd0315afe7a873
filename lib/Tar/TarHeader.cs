using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// One tar entry after its PAX records, GNU long names and sparse records are applied, the way Go's archive/tar
/// hands out a <c>tar.Header</c>. Names and PAX values are kept as the bytes the archive holds (they need not be UTF-8;
/// xattr values are binary).
/// </summary>
public sealed class TarHeader
{
    private static readonly SortedDictionary<string, byte[]> NoRecords = new(StringComparer.Ordinal);

    /// <summary>Where the entry's first header starts (its PAX and long-name headers included).</summary>
    public required long HeaderOffset { get; init; }

    /// <summary>Where the entry's data starts in the tar stream (after every header, and after a sparse 1.0 map).</summary>
    public long DataOffset { get; internal set; }

    /// <summary>The type flag; Go's TypeRegA (NUL) is already turned into '0' or '5' (a name ending in '/').</summary>
    public byte TypeFlag { get; internal set; }

    public byte[] NameBytes { get; internal set; } = [];
    public byte[] LinkNameBytes { get; internal set; } = [];
    public byte[] UnameBytes { get; internal set; } = [];
    public byte[] GnameBytes { get; internal set; } = [];

    /// <summary>The logical size: of the file, or for a sparse file its real size including holes.</summary>
    public long Size { get; internal set; }

    /// <summary>How many data bytes the archive stores for this entry (0 for header-only types).</summary>
    public long StoredSize { get; internal set; }

    public long Mode { get; internal set; }
    public long Uid { get; internal set; }
    public long Gid { get; internal set; }
    public long ModTimeSeconds { get; internal set; }
    public long ModTimeNanos { get; internal set; }

    /// <summary>The access time when the archive states one (PAX atime, GNU or STAR header field).</summary>
    public (long Seconds, long Nanos)? AccessTime { get; internal set; }

    public long DevMajor { get; internal set; }
    public long DevMinor { get; internal set; }

    /// <summary>Every PAX record of the entry, keys sorted ordinally, values as stored (GNU sparse 0.0 pairs folded into GNU.sparse.map).</summary>
    public IReadOnlyDictionary<string, byte[]> PaxRecords { get; internal set; } = NoRecords;

    /// <summary>The data fragments of a GNU sparse file (PAX 0.0, 0.1, 1.0 or old GNU 'S'); null for any other entry.</summary>
    public IReadOnlyList<SparseFragment>? Sparse { get; internal set; }

    /// <summary>The name as strict UTF-8.</summary>
    /// <exception cref="InvalidDataException">The name is not UTF-8.</exception>
    public string Name => TarHeaderBlock.Text(NameBytes, "entry name");

    /// <exception cref="InvalidDataException">The link name is not UTF-8.</exception>
    public string LinkName => TarHeaderBlock.Text(LinkNameBytes, "link name");

    /// <exception cref="InvalidDataException">The user name is not UTF-8.</exception>
    public string Uname => TarHeaderBlock.Text(UnameBytes, "user name");

    /// <exception cref="InvalidDataException">The group name is not UTF-8.</exception>
    public string Gname => TarHeaderBlock.Text(GnameBytes, "group name");

    /// <summary>The name for messages (invalid UTF-8 shown as replacement characters).</summary>
    public string DisplayName => Display(NameBytes);

    /// <summary>The extended attributes (PAX <c>SCHILY.xattr.*</c>), names without the prefix, values exact.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Xattrs
    {
        get
        {
            foreach (var (key, value) in PaxRecords)
            {
                if (key.StartsWith(PaxRecordParser.XattrPrefix, StringComparison.Ordinal))
                {
                    yield return new(key[PaxRecordParser.XattrPrefix.Length..], value);
                }
            }
        }
    }

    internal static string Display(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>
    /// Decodes one header block on its own (no PAX or long-name records applied; TypeRegA resolved), e.g. to check
    /// that a header sits where an index says it does.
    /// </summary>
    /// <exception cref="InvalidDataException">The block is not a valid tar header.</exception>
    public static TarHeader DecodeBlock(ReadOnlySpan<byte> block, long headerOffset)
    {
        var h = Decode(block, headerOffset);
        h.Merge(null, null, null);
        return h;
    }

    /// <summary>Decodes one header block (Go's readHeader).</summary>
    internal static TarHeader Decode(ReadOnlySpan<byte> block, long headerOffset)
    {
        var b = new TarHeaderBlock(block);
        TarFormat format = b.Format;
        if (format == TarFormat.Unknown)
        {
            throw new InvalidDataException($"tar header at byte {headerOffset} ('{Display(b.NameBytes)}') has a bad checksum");
        }
        bool bad = false;
        bool extended = format != TarFormat.V7;
        var h = new TarHeader
        {
            HeaderOffset = headerOffset,
            TypeFlag = b.TypeFlag,
            NameBytes = b.NameBytes,
            LinkNameBytes = b.LinkNameBytes,
            Size = b.DataSize(ref bad),
            Mode = b.Mode(ref bad),
            Uid = b.Uid(ref bad),
            Gid = b.Gid(ref bad),
            ModTimeSeconds = b.ModTime(ref bad),
            UnameBytes = extended ? b.UnameBytes : [],
            GnameBytes = extended ? b.GnameBytes : [],
            DevMajor = extended ? b.DevMajor(ref bad) : 0,
            DevMinor = extended ? b.DevMinor(ref bad) : 0,
        };
        byte[] prefix = b.Prefix(format);
        if (format == TarFormat.Star)
        {
            h.AccessTime = (TarHeaderBlock.ParseNumeric(b.StarAccessTime, ref bad), 0);
        }
        else if (format == TarFormat.Gnu)
        {
            // Go before 1.8 wrote a USTAR prefix into GNU headers: times that do not parse mean that bug, not an error.
            bool timesBad = false;
            long? accessed = b.GnuAccessTime[0] != 0 ? TarHeaderBlock.ParseNumeric(b.GnuAccessTime, ref timesBad) : null;
            if (b.GnuChangeTime[0] != 0)
            {
                TarHeaderBlock.ParseNumeric(b.GnuChangeTime, ref timesBad);
            }
            if (timesBad)
            {
                byte[] legacy = b.UstarPrefixBytes;
                prefix = Array.TrueForAll(legacy, c => c < 0x80) ? legacy : [];
            }
            else if (accessed is { } seconds)
            {
                h.AccessTime = (seconds, 0);
            }
        }
        if (prefix.Length > 0)
        {
            h.NameBytes = [.. prefix, (byte)'/', .. h.NameBytes];
        }
        if (bad)
        {
            throw new InvalidDataException($"tar header at byte {headerOffset} ('{h.DisplayName}') has a malformed number field");
        }
        return h;
    }

    /// <summary>Applies PAX records (empty values keep the header's value), then GNU long names, then Go's TypeRegA rule.</summary>
    internal void Merge(SortedDictionary<string, byte[]>? pax, byte[]? longName, byte[]? longLink)
    {
        if (pax is not null)
        {
            PaxRecords = pax;
            foreach ((string key, byte[] value) in pax)
            {
                if (value.Length == 0)
                {
                    continue;
                }
                switch (key)
                {
                    case PaxRecordParser.Path: NameBytes = value; break;
                    case PaxRecordParser.LinkPath: LinkNameBytes = value; break;
                    case PaxRecordParser.Uname: UnameBytes = value; break;
                    case PaxRecordParser.Gname: GnameBytes = value; break;
                    case PaxRecordParser.Uid: Uid = ParseInt(key, value); break;
                    case PaxRecordParser.Gid: Gid = ParseInt(key, value); break;
                    case PaxRecordParser.Size: Size = ParseInt(key, value); break;
                    case PaxRecordParser.Mtime:
                        (ModTimeSeconds, ModTimeNanos) = ParseTime(key, value);
                        break;
                    case PaxRecordParser.Atime:
                        AccessTime = ParseTime(key, value);
                        break;
                }
            }
        }
        if (longName is { Length: > 0 })
        {
            NameBytes = longName;
        }
        if (longLink is { Length: > 0 })
        {
            LinkNameBytes = longLink;
        }
        if (TypeFlag == TarTypeFlags.RegularV7)
        {
            TypeFlag = NameBytes.Length > 0 && NameBytes[^1] == '/' ? TarTypeFlags.Directory : TarTypeFlags.Regular;
        }
    }

    internal long ParseInt(string key, byte[] value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw Bad(key);

    private (long, long) ParseTime(string key, byte[] value) =>
        GoTime.ParsePax(Encoding.ASCII.GetString(value)) ?? throw Bad(key);

    internal InvalidDataException Malformed(string what) =>
        new($"tar entry '{DisplayName}' at byte {HeaderOffset} {what}");

    private InvalidDataException Bad(string key) => Malformed($"has a malformed PAX {key} record");
}
