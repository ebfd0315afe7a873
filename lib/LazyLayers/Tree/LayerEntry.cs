using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Tar;

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

    /// <summary>
    /// The modification time an index's text names (Go's RFC 3339 to the nanosecond, read by lib/Tar's
    /// <see cref="GoTime"/>: a zTOC's <c>mod_time</c>, an eStargz TOC's <c>modtime</c>); the epoch when it is empty (SOCI
    /// stores "" for a time Go cannot marshal).
    /// </summary>
    /// <param name="text">The index's text.</param>
    /// <param name="entryName">The entry it belongs to, for the error.</param>
    /// <exception cref="InvalidDataException">The text is not RFC 3339.</exception>
    public static UnixTime ModificationTimeOf(string? text, string entryName)
    {
        if (string.IsNullOrEmpty(text)) return UnixTime.Epoch;
        return GoTime.ParseText(text) is var (seconds, nanoseconds)
            ? new UnixTime(seconds, (uint)nanoseconds)
            : throw new InvalidDataException($"entry {entryName} has modification time \"{text}\", which is not RFC 3339");
    }
}
