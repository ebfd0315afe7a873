using System.Formats.Tar;
using System.IO.Compression;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Every regular file of a tar layer with its bytes, read independently with System.Formats.Tar.</summary>
public static class TarContents
{
    public static Dictionary<string, byte[]> RegularFiles(byte[] blob, LayerCompression compression)
    {
        using Stream raw = new MemoryStream(blob, writable: false);
        using Stream tar = compression == LayerCompression.Gzip ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using var reader = new TarReader(tar);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                using var data = new MemoryStream();
                entry.DataStream?.CopyTo(data);
                files[entry.Name] = data.ToArray();
            }
        }
        return files;
    }
}
