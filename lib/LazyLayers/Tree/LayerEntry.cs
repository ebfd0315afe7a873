using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// One entry of a layer archive as a format's index lists it, whatever the format (a tar header in a zTOC, an entry of
/// an eStargz TOC): what <see cref="LayerTreeAssembler"/> needs to place it in the tree.
/// </summary>
public sealed record LayerEntry
{
    /// <summary>The path in the archive ("usr/bin/x", "./etc/", ...).</summary>
    public required string Name { get; init; }

    /// <summary>The kind of inode; hard links are <see cref="IsHardLink"/> with their target in <see cref="LinkName"/>.</summary>
    public LayerInodeType Type { get; init; }

    /// <summary>A hard link to <see cref="LinkName"/>, an earlier entry of the archive.</summary>
    public bool IsHardLink { get; init; }

    /// <summary>The tar mode; only the permission, setuid, setgid and sticky bits (07777) are used.</summary>
    public long Mode { get; init; }

    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public UnixTime ModificationTime { get; init; }

    /// <summary>Symbolic links: the target; hard links: the entry linked to.</summary>
    public string LinkName { get; init; } = "";

    public uint DevMajor { get; init; }
    public uint DevMinor { get; init; }

    /// <summary>Regular files: the content's size.</summary>
    public long Size { get; init; }

    /// <summary>Regular files: where the content starts in the format's content space (see <see cref="Content.ILayerContent"/>).</summary>
    public long DataOffset { get; init; }

    /// <summary>Extended attributes by name (raw values).</summary>
    public IReadOnlyDictionary<string, byte[]>? Xattrs { get; init; }
}
