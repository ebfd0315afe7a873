using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// GNU sparse maps as Go's archive/tar reads them: PAX format 0.0 (GNU.sparse.offset/numbytes pairs, folded into
/// GNU.sparse.map by the PAX parser), 0.1 (GNU.sparse.numblocks + GNU.sparse.map), 1.0 (decimal lines at the start of
/// the data, padded to whole blocks); old GNU 'S' headers are read by the reader itself.
/// </summary>
internal static class SparseMaps
{
    public enum Version { None, Zero, One }

    /// <summary>Which PAX sparse format the records declare (Go's readGNUSparsePAXHeaders); unknown versions are not sparse.</summary>
    public static Version Detect(IReadOnlyDictionary<string, byte[]> records)
    {
        string major = Text(records, PaxRecordParser.SparseMajor), minor = Text(records, PaxRecordParser.SparseMinor);
        return (major, minor) switch
        {
            ("0", "0" or "1") => Version.Zero,
            ("1", "0") => Version.One,
            _ when major.Length > 0 || minor.Length > 0 => Version.None,
            _ => Text(records, PaxRecordParser.SparseMap).Length > 0 ? Version.Zero : Version.None,
        };
    }

    /// <summary>Formats 0.0 and 0.1: the map is in the records.</summary>
    public static List<SparseFragment> FromRecords(IReadOnlyDictionary<string, byte[]> records, TarHeader h)
    {
        if (!long.TryParse(Text(records, PaxRecordParser.SparseNumBlocks), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long count)
            || count < 0 || count > int.MaxValue / 2)
        {
            throw h.Malformed("has a malformed GNU.sparse.numblocks record");
        }
        string map = Text(records, PaxRecordParser.SparseMap);
        string[] numbers = map.Length == 0 ? [] : map.Split(',');
        if (numbers.Length != 2 * count)
        {
            throw h.Malformed($"has a GNU sparse map of {numbers.Length} numbers for {count} blocks");
        }
        var fragments = new List<SparseFragment>((int)count);
        for (int i = 0; i < numbers.Length; i += 2)
        {
            fragments.Add(new SparseFragment(Number(numbers[i], h), Number(numbers[i + 1], h)));
        }
        return fragments;
    }

    /// <summary>Format 1.0: the map is read from the data by <paramref name="readBlock"/> (512 bytes at a time, false at the end of the data).</summary>
    public static async ValueTask<List<SparseFragment>> FromDataAsync(Func<byte[], CancellationToken, ValueTask<bool>> readBlock, TarHeader h,
        CancellationToken cancellationToken)
    {
        var block = new byte[TarHeaderBlock.Size];
        var text = new List<byte>();
        int position = 0;
        async ValueTask<string> NextLineAsync()
        {
            while (true)
            {
                int newline = text.IndexOf((byte)'\n', position);
                if (newline >= 0)
                {
                    string line = Encoding.ASCII.GetString(text.GetRange(position, newline - position).ToArray());
                    position = newline + 1;
                    return line;
                }
                if (!await readBlock(block, cancellationToken).ConfigureAwait(false))
                {
                    throw h.Malformed("ends inside its GNU sparse 1.0 map");
                }
                text.AddRange(block);
            }
        }

        string countLine = await NextLineAsync().ConfigureAwait(false);
        if (!long.TryParse(countLine, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long count) || count < 0 || count > int.MaxValue / 2)
        {
            throw h.Malformed("has a malformed GNU sparse 1.0 map");
        }
        // The count is trusted only as far as the archive holds lines for it, as in Go.
        var fragments = new List<SparseFragment>();
        for (long i = 0; i < count; i++)
        {
            long offset = Number(await NextLineAsync().ConfigureAwait(false), h);
            long length = Number(await NextLineAsync().ConfigureAwait(false), h);
            fragments.Add(new SparseFragment(offset, length));
        }
        return fragments;
    }

    /// <summary>Go's validateSparseEntries: non-negative, in order, not overlapping, within the real size.</summary>
    public static void Validate(List<SparseFragment> fragments, long size, TarHeader h)
    {
        long previousEnd = 0;
        foreach (var f in fragments)
        {
            if (f.Offset < 0 || f.Length < 0 || f.Offset > long.MaxValue - f.Length || f.End > size || previousEnd > f.Offset)
            {
                throw h.Malformed($"has a GNU sparse map that is out of order or past the file's size {size} (fragment at {f.Offset}, {f.Length} bytes)");
            }
            previousEnd = f.End;
        }
    }

    private static long Number(string text, TarHeader h) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw h.Malformed("has a malformed number in its GNU sparse map");

    private static string Text(IReadOnlyDictionary<string, byte[]> records, string key) =>
        records.TryGetValue(key, out byte[]? value) ? Encoding.UTF8.GetString(value) : "";
}
