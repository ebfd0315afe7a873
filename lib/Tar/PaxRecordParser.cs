using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// Parses the body of a PAX extended header ("%d %s=%s\n" records) the way Go's archive/tar does: a later
/// record overrides an earlier one with the same key, and GNU sparse 0.0 offset/numbytes pairs fold into
/// one GNU.sparse.map record.
/// </summary>
public static class PaxRecordParser
{
    public const string Path = "path", LinkPath = "linkpath", Uname = "uname", Gname = "gname", Uid = "uid",
        Gid = "gid", Mtime = "mtime", Atime = "atime", Size = "size";

    /// <summary>Prefix of the records that carry extended attributes.</summary>
    public const string XattrPrefix = "SCHILY.xattr.";

    public const string SparseMap = "GNU.sparse.map", SparseNumBlocks = "GNU.sparse.numblocks", SparseName = "GNU.sparse.name",
        SparseSize = "GNU.sparse.size", SparseRealSize = "GNU.sparse.realsize", SparseMajor = "GNU.sparse.major",
        SparseMinor = "GNU.sparse.minor";

    private const string SparseOffset = "GNU.sparse.offset", SparseNumBytes = "GNU.sparse.numbytes";

    /// <summary>Parses the records; errors name <paramref name="owner"/> (the 'x' or 'g' header).</summary>
    internal static SortedDictionary<string, byte[]> Parse(ReadOnlySpan<byte> body, TarHeader owner)
    {
        try
        {
            return Parse(body);
        }
        catch (InvalidDataException ex)
        {
            throw owner.Malformed($"has a malformed PAX header: {ex.Message}");
        }
    }

    private static SortedDictionary<string, byte[]> Parse(ReadOnlySpan<byte> body)
    {
        var records = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var sparseMap = new List<string>();
        while (!body.IsEmpty)
        {
            int space = body.IndexOf((byte)' ');
            if (space <= 0
                || !int.TryParse(body[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length < 5 || length > body.Length || length <= space + 1 || body[length - 1] != '\n')
            {
                throw Malformed("a record's length field is wrong");
            }
            ReadOnlySpan<byte> record = body[(space + 1)..(length - 1)];
            body = body[length..];
            int equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw Malformed("a record has no key");
            }
            string key = TarHeaderBlock.Text(record[..equals].ToArray(), "PAX record key");
            byte[] value = record[(equals + 1)..].ToArray();
            bool textKey = key is Path or LinkPath or Uname or Gname;
            if (textKey ? value.Contains((byte)0) : key.Contains('\0', StringComparison.Ordinal))
            {
                throw Malformed($"record {key} holds a NUL byte");
            }
            if (key is SparseOffset or SparseNumBytes)
            {
                bool expectOffset = sparseMap.Count % 2 == 0;
                if (expectOffset != (key == SparseOffset) || value.Contains((byte)','))
                {
                    throw Malformed("GNU sparse 0.0 records are out of order");
                }
                sparseMap.Add(Encoding.UTF8.GetString(value));
                continue;
            }
            records[key] = value;
        }
        if (sparseMap.Count > 0)
        {
            records[SparseMap] = Encoding.UTF8.GetBytes(string.Join(',', sparseMap));
        }
        return records;
    }

    /// <summary>True when any record is a GNU sparse record (formats 0.0, 0.1 or 1.0, known version or not).</summary>
    public static bool HasSparseRecords(IReadOnlyDictionary<string, byte[]> records) =>
        records.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal));

    private static InvalidDataException Malformed(string what) => new(what);
}
