using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Tree;

/// <summary>
/// A layer's tree from its zTOC: each TOC entry becomes a <see cref="LayerEntry"/> and <see cref="LayerTreeAssembler"/>
/// applies the overlay conventions, as it does for every lazy format. Only what is zTOC-specific lives here: tar type
/// names, <c>mod_time</c> text, PAX <c>SCHILY.xattr.*</c> records as xattrs (soci-formats.md).
/// </summary>
internal static class ZtocLayerEntries
{
    /// <summary>Builds the tree of <paramref name="ztoc"/>'s entries (in archive order).</summary>
    /// <param name="ztoc">A validated zTOC.</param>
    /// <param name="userXattr">Mark opaque directories with <c>user.overlay.opaque</c> instead of <c>trusted.overlay.opaque</c>.</param>
    /// <exception cref="InvalidDataException">An entry's name, time or hard link cannot be placed in the tree.</exception>
    public static LayerInode BuildTree(Ztoc ztoc, bool userXattr)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        var assembler = new LayerTreeAssembler(userXattr);
        foreach (var file in ztoc.Files) assembler.Add(ToLayerEntry(file));
        return assembler.Complete();
    }

    /// <summary>What <paramref name="file"/> says about its inode, in the assembler's terms.</summary>
    /// <exception cref="InvalidDataException">The entry's type cannot be served or its time is not RFC 3339.</exception>
    public static LayerEntry ToLayerEntry(FileMetadata file) => new()
    {
        Name = file.Name,
        Type = file.Type switch
        {
            TarEntryTypes.Regular or TarEntryTypes.Hardlink => LayerInodeType.Regular,
            TarEntryTypes.Directory => LayerInodeType.Directory,
            TarEntryTypes.Symlink => LayerInodeType.Symlink,
            TarEntryTypes.Char => LayerInodeType.CharacterDevice,
            TarEntryTypes.Block => LayerInodeType.BlockDevice,
            TarEntryTypes.Fifo => LayerInodeType.Fifo,
            _ => throw new InvalidDataException($"zTOC entry {file.Name} has type {file.Type}, which cannot be served"),
        },
        IsHardLink = file.Type == TarEntryTypes.Hardlink,
        Mode = file.Mode,
        Uid = file.Uid,
        Gid = file.Gid,
        ModificationTime = LayerEntry.ModificationTimeOf(file.ModTime, file.Name),
        LinkName = file.LinkName,
        DevMajor = (uint)file.DevMajor,
        DevMinor = (uint)file.DevMinor,
        Size = file.UncompressedSize,
        DataOffset = file.UncompressedOffset,
        Xattrs = Xattrs(file.PaxRecords),
    };

    /// <summary>The entry's <c>SCHILY.xattr.*</c> PAX records by xattr name (raw values); null when none.</summary>
    private static Dictionary<string, byte[]>? Xattrs(IReadOnlyList<PaxRecord> records)
    {
        Dictionary<string, byte[]>? xattrs = null;
        foreach (var record in records)
        {
            if (record.Key.StartsWith(PaxRecord.XattrPrefix, StringComparison.Ordinal) && record.Key.Length > PaxRecord.XattrPrefix.Length)
            {
                (xattrs ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[record.Key[PaxRecord.XattrPrefix.Length..]] = record.Value;
            }
        }
        return xattrs;
    }
}
