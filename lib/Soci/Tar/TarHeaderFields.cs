using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Soci.Tar;

/// <summary>The fields of one tar entry after its PAX records and GNU long names are applied (Go's tar.Header).</summary>
internal sealed class TarHeaderFields
{
    private byte[] _name = [], _linkName = [], _uname = [], _gname = [];

    public required long HeaderOffset { get; init; }
    public required byte TypeFlag { get; init; }
    public long Size { get; private set; }
    public long Mode { get; private init; }
    public long Uid { get; private set; }
    public long Gid { get; private set; }
    public long ModTimeSeconds { get; private set; }
    public long ModTimeNanos { get; private set; }
    public long DevMajor { get; private init; }
    public long DevMinor { get; private init; }

    public string Name => TarHeaderBlock.Text(_name, "entry name");
    public string LinkName => TarHeaderBlock.Text(_linkName, "link name");
    public string Uname => TarHeaderBlock.Text(_uname, "user name");
    public string Gname => TarHeaderBlock.Text(_gname, "group name");

    /// <summary>SOCI's type name, or null for types it does not support.</summary>
    public string? EntryType => (char)TypeFlag switch
    {
        '0' => TarEntryTypes.Regular,
        '\0' => _name.Length > 0 && _name[^1] == '/' ? TarEntryTypes.Directory : TarEntryTypes.Regular,
        '1' => TarEntryTypes.Hardlink,
        '2' => TarEntryTypes.Symlink,
        '3' => TarEntryTypes.Char,
        '4' => TarEntryTypes.Block,
        '5' => TarEntryTypes.Directory,
        '6' => TarEntryTypes.Fifo,
        _ => null,
    };

    public static TarHeaderFields Decode(byte[] block, long headerOffset)
    {
        var b = new TarHeaderBlock(block);
        TarFormat format = b.Format;
        if (format == TarFormat.Unknown)
        {
            throw new InvalidDataException($"tar header at byte {headerOffset} has a bad checksum");
        }
        bool bad = false;
        bool extended = format != TarFormat.V7;
        var fields = new TarHeaderFields
        {
            HeaderOffset = headerOffset,
            TypeFlag = b.TypeFlag,
            _name = b.NameBytes,
            _linkName = b.LinkNameBytes,
            Size = b.DataSize(ref bad),
            Mode = b.Mode(ref bad),
            Uid = b.Uid(ref bad),
            Gid = b.Gid(ref bad),
            ModTimeSeconds = b.ModTime(ref bad),
            _uname = extended ? b.UnameBytes : [],
            _gname = extended ? b.GnameBytes : [],
            DevMajor = extended ? b.DevMajor(ref bad) : 0,
            DevMinor = extended ? b.DevMinor(ref bad) : 0,
        };
        byte[] prefix = b.Prefix(format);
        if (prefix.Length > 0)
        {
            fields._name = [.. prefix, (byte)'/', .. fields._name];
        }
        if (bad)
        {
            throw new InvalidDataException($"tar header at byte {headerOffset} has a malformed number field");
        }
        if (fields.Size < 0)
        {
            throw new InvalidDataException($"tar header at byte {headerOffset} has negative size {fields.Size}");
        }
        return fields;
    }

    /// <summary>Applies PAX records (empty values keep the header's value) and then GNU long names, as Go does.</summary>
    public void Merge(IReadOnlyDictionary<string, byte[]> pax, byte[]? longName, byte[]? longLink)
    {
        foreach ((string key, byte[] value) in pax)
        {
            if (value.Length == 0)
            {
                continue;
            }
            switch (key)
            {
                case PaxRecordParser.Path: _name = value; break;
                case PaxRecordParser.LinkPath: _linkName = value; break;
                case PaxRecordParser.Uname: _uname = value; break;
                case PaxRecordParser.Gname: _gname = value; break;
                case PaxRecordParser.Uid: Uid = ParseInt(key, value); break;
                case PaxRecordParser.Gid: Gid = ParseInt(key, value); break;
                case PaxRecordParser.Size: Size = ParseInt(key, value); break;
                case PaxRecordParser.Mtime:
                    (ModTimeSeconds, ModTimeNanos) = GoTime.ParsePax(Encoding.ASCII.GetString(value))
                        ?? throw Bad(key);
                    break;
            }
        }
        if (longName is { Length: > 0 })
        {
            _name = longName;
        }
        if (longLink is { Length: > 0 })
        {
            _linkName = longLink;
        }
        if (Size < 0)
        {
            throw new InvalidDataException($"tar entry at byte {HeaderOffset} has negative size {Size}");
        }
    }

    private long ParseInt(string key, byte[] value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw Bad(key);

    private InvalidDataException Bad(string key) => new($"tar entry at byte {HeaderOffset} has a malformed PAX {key} record");
}
