using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// One inode of a layer's file tree as its format's index (zTOC, eStargz TOC) describes it. Hard links are one inode under several names; directories
/// hold their children by name. Built once per layer digest by the format's tree builder, shared by every snapshot of
/// the layer and never changed after; a chain's own attributes for implicit directories live on copies
/// (<see cref="ChainTree"/>).
/// </summary>
public sealed class LayerInode
{
    private static long s_lastIno;

    public LayerInode(LayerInodeType type) => (Type, Ino) = (type, (ulong)Interlocked.Increment(ref s_lastIno));

    private LayerInode(LayerInode other, SortedDictionary<string, LayerInode>? children)
    {
        (Type, Ino, Permissions, Uid, Gid, ModificationTime) = (other.Type, other.Ino, other.Permissions, other.Uid, other.Gid, other.ModificationTime);
        (Size, DataOffset, LinkTarget, DevMajor, DevMinor, LinkCount, Implicit) =
            (other.Size, other.DataOffset, other.LinkTarget, other.DevMajor, other.DevMinor, other.LinkCount, other.Implicit);
        Xattrs = other.Xattrs is null ? null : new SortedDictionary<string, byte[]>(other.Xattrs, StringComparer.Ordinal);
        Children = children;
    }

    public LayerInodeType Type { get; }

    /// <summary>st_ino, shared by every name of a hard-linked file.</summary>
    public ulong Ino { get; }

    /// <summary>Permission bits including setuid, setgid and sticky (07777).</summary>
    public uint Permissions { get; set; }

    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public UnixTime ModificationTime { get; set; }

    /// <summary>Regular files: the content's size.</summary>
    public long Size { get; set; }

    /// <summary>Regular files: where the content starts in the uncompressed tar stream.</summary>
    public long DataOffset { get; set; }

    /// <summary>Symbolic links: the target.</summary>
    public string LinkTarget { get; set; } = "";

    public uint DevMajor { get; set; }
    public uint DevMinor { get; set; }

    /// <summary>Names this inode has (hard links); directories count their subdirectories instead.</summary>
    public uint LinkCount { get; set; } = 1;

    /// <summary>Extended attributes by name (raw values); null when none.</summary>
    public SortedDictionary<string, byte[]>? Xattrs { get; set; }

    /// <summary>
    /// Directories: the children by name, in ordinal order. Not changed once the tree is built: a chain's copy of a
    /// directory shares its map unless the chain changes one of the children (<see cref="ChainTree"/>).
    /// </summary>
    public SortedDictionary<string, LayerInode>? Children { get; init; }

    public bool IsDirectory => Type == LayerInodeType.Directory;

    /// <summary>
    /// A directory the archive does not list but holds entries below: containerd's applier gives such a directory the
    /// attributes the layers below have for it (see <see cref="LowerDirectoryAttributes"/>).
    /// </summary>
    public bool Implicit { get; set; }

    /// <summary>
    /// A copy for one chain's view of the tree: the same <see cref="Ino"/> (the same file to the kernel) and attributes,
    /// its own xattrs, and <paramref name="children"/> as its child map (by default this inode's own map, shared).
    /// </summary>
    public LayerInode Copy(SortedDictionary<string, LayerInode>? children = null) => new(this, children ?? Children);

    /// <summary>Same mode, owner, time and xattrs: what a chain may change on an implicit directory.</summary>
    public bool SameDirectoryAttributes(LayerInode other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if ((Permissions, Uid, Gid, ModificationTime) != (other.Permissions, other.Uid, other.Gid, other.ModificationTime)) return false;
        if ((Xattrs?.Count ?? 0) != (other.Xattrs?.Count ?? 0)) return false;
        foreach (var (name, value) in Xattrs ?? Enumerable.Empty<KeyValuePair<string, byte[]>>())
        {
            if (other.Xattrs!.GetValueOrDefault(name) is not { } theirs || !value.AsSpan().SequenceEqual(theirs)) return false;
        }
        return true;
    }

    public void SetXattr(string name, byte[] value) => (Xattrs ??= new SortedDictionary<string, byte[]>(StringComparer.Ordinal))[name] = value;

    public static LayerInode NewDirectory(uint permissions) =>
        new(LayerInodeType.Directory) { Permissions = permissions, Children = new SortedDictionary<string, LayerInode>(StringComparer.Ordinal) };
}
