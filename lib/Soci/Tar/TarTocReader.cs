using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.Tar;

namespace PluggableSnapshotter.Soci.Tar;

/// <summary>
/// Walks a tar stream with the project's tar reader and records each entry as SOCI does: the data offset is the
/// stream position after the entry's headers; the archive size is what the walk consumed. Entries a zTOC cannot
/// describe (SOCI's unsupported types, GNU sparse files whose data is not contiguous) fail the build.
/// </summary>
internal sealed class TarTocReader(ILayerIndexer source)
{
    public async Task<(List<FileMetadata> Files, long ConsumedSize)> ReadAllAsync(CancellationToken cancellationToken)
    {
        var reader = new TarArchiveReader(new IndexerStream(source));
        var files = new List<FileMetadata>();
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } h)
        {
            files.Add(ToMetadata(h));
        }
        return (files, reader.Position);
    }

    private static FileMetadata ToMetadata(TarHeader h)
    {
        if (h.Sparse is not null || PaxRecordParser.HasSparseRecords(h.PaxRecords))
        {
            throw new InvalidDataException($"tar entry at byte {h.HeaderOffset} is a GNU sparse file, which zTOCs cannot describe");
        }
        string type = EntryType(h.TypeFlag)
            ?? throw new InvalidDataException($"tar entry {h.Name} at byte {h.HeaderOffset} has unsupported type {TarTypeFlags.Describe(h.TypeFlag)}");
        return new FileMetadata
        {
            Name = h.Name,
            Type = type,
            UncompressedOffset = h.DataOffset,
            UncompressedSize = h.Size,
            LinkName = h.LinkName,
            Mode = h.Mode,
            Uid = unchecked((uint)h.Uid),
            Gid = unchecked((uint)h.Gid),
            Uname = h.Uname,
            Gname = h.Gname,
            ModTime = GoTime.FormatUnix(h.ModTimeSeconds, h.ModTimeNanos),
            DevMajor = h.DevMajor,
            DevMinor = h.DevMinor,
            PaxRecords = h.PaxRecords.Select(r => new PaxRecord(r.Key, r.Value)).ToArray(),
            TarHeaderOffset = h.HeaderOffset,
        };
    }

    /// <summary>SOCI's type name, or null for types it does not support.</summary>
    public static string? EntryType(byte typeFlag) => typeFlag switch
    {
        TarTypeFlags.Regular => TarEntryTypes.Regular,
        TarTypeFlags.HardLink => TarEntryTypes.Hardlink,
        TarTypeFlags.Symlink => TarEntryTypes.Symlink,
        TarTypeFlags.Char => TarEntryTypes.Char,
        TarTypeFlags.Block => TarEntryTypes.Block,
        TarTypeFlags.Directory => TarEntryTypes.Directory,
        TarTypeFlags.Fifo => TarEntryTypes.Fifo,
        _ => null,
    };
}
