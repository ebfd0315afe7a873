using System.Text;

namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// Builds a layer's file tree from its entries in archive order with the overlay conventions containerd's applier uses
/// (soci-formats.md, "Overlay conventions"), whatever the format that lists them (zTOC, eStargz TOC):
/// <c>.wh.&lt;name&gt;</c> becomes a 0:0 character device owned as the whiteout entry, <c>.wh..wh..opq</c> marks its
/// directory opaque, hard links share one inode, a later entry of the same name replaces an earlier one (a directory
/// listed again keeps its children), directories the archive does not list are created 0755 root:root and marked
/// <see cref="LayerInode.Implicit"/>, an entry naming the layer root is skipped and <c>trusted.*</c> xattrs are not
/// served (containerd applies neither, nor does lib/Layers). Names that would escape the layer (<c>..</c>) or cannot be
/// directory entries are refused.
/// </summary>
public sealed class LayerTreeAssembler
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const uint DefaultDirectoryPermissions = 0x1ED; // 0755

    private readonly string _opaqueXattr;

    /// <param name="userXattr">Mark opaque directories with <c>user.overlay.opaque</c> instead of <c>trusted.overlay.opaque</c>.</param>
    public LayerTreeAssembler(bool userXattr) => _opaqueXattr = userXattr ? "user.overlay.opaque" : "trusted.overlay.opaque";

    /// <summary>The tree's root directory.</summary>
    public LayerInode Root { get; } = LayerInode.NewDirectory(DefaultDirectoryPermissions);

    /// <summary>Places <paramref name="entry"/>; returns its inode, or null for an opaque marker or the layer root.</summary>
    /// <exception cref="InvalidDataException">The entry's name or hard link cannot be placed in the tree.</exception>
    public LayerInode? Add(LayerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var parts = Split(entry.Name);
        // containerd skips an entry that resolves to the layer root ("file ignored: resolved to root"), and so does
        // lib/Layers: the root keeps the snapshotter's defaults, whatever "./" says.
        if (parts.Length == 0) return null;
        var parent = Directory(parts.AsSpan(0, parts.Length - 1), entry.Name);
        var name = parts[^1];
        if (name == OpaqueMarker)
        {
            parent.SetXattr(_opaqueXattr, "y"u8.ToArray());
            return null;
        }
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            // No permission bits, owned by the whiteout entry's owner, as containerd's OverlayConvertWhiteout makes them.
            var whiteout = new LayerInode(LayerInodeType.CharacterDevice) { Uid = entry.Uid, Gid = entry.Gid };
            Place(parent, name[WhiteoutPrefix.Length..], whiteout, entry.Name);
            return whiteout;
        }
        if (entry.IsHardLink)
        {
            var target = LayerTreePaths.Find(Root, Split(entry.LinkName))
                ?? throw new InvalidDataException($"entry {entry.Name} is a hard link to {entry.LinkName}, which the layer does not hold before it");
            if (target.IsDirectory) throw new InvalidDataException($"entry {entry.Name} is a hard link to the directory {entry.LinkName}");
            if (!ReferenceEquals(parent.Children!.GetValueOrDefault(name), target))
            {
                Place(parent, name, target, entry.Name);
                target.LinkCount++;
            }
            return target;
        }
        if (entry.Type == LayerInodeType.Directory && parent.Children!.TryGetValue(name, out var existing) && existing.IsDirectory)
        {
            CopyAttributes(entry, existing); // a directory listed again keeps its children
            return existing;
        }
        var inode = entry.Type == LayerInodeType.Directory ? LayerInode.NewDirectory(0) : new LayerInode(entry.Type);
        CopyAttributes(entry, inode);
        Place(parent, name, inode, entry.Name);
        return inode;
    }

    /// <summary>Ends the build: directory link counts (2 + subdirectories). Returns <see cref="Root"/>.</summary>
    public LayerInode Complete()
    {
        CountDirectoryLinks(Root);
        return Root;
    }

    private static void Place(LayerInode parent, string name, LayerInode inode, string entryName)
    {
        if (name.Length == 0 || name is "." or ".." || Encoding.UTF8.GetByteCount(name) > 255)
            throw new InvalidDataException($"entry {entryName} has a name that cannot be a directory entry");
        if (parent.Children!.TryGetValue(name, out var replaced) && !replaced.IsDirectory)
        {
            replaced.LinkCount = Math.Max(1, replaced.LinkCount) - 1; // a later entry of the same name replaces it
        }
        parent.Children[name] = inode;
    }

    private LayerInode Directory(ReadOnlySpan<string> path, string entryName)
    {
        var current = Root;
        foreach (var part in path)
        {
            if (!current.Children!.TryGetValue(part, out var next))
            {
                next = LayerInode.NewDirectory(DefaultDirectoryPermissions);
                next.Implicit = true;
                Place(current, part, next, entryName);
            }
            else if (!next.IsDirectory)
            {
                throw new InvalidDataException($"entry {entryName} lies below {part}, which is not a directory");
            }
            current = next;
        }
        return current;
    }

    /// <summary>The path's components without ".", empty ones and leading "/"; ".." is refused (it would escape the layer).</summary>
    private static string[] Split(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains("..")) throw new InvalidDataException($"entry {name} climbs out of the layer with '..'");
        return parts;
    }

    private static void CopyAttributes(LayerEntry entry, LayerInode inode)
    {
        inode.Implicit = false;
        inode.Permissions = (uint)(entry.Mode & 0xFFF);
        inode.Uid = entry.Uid;
        inode.Gid = entry.Gid;
        inode.ModificationTime = entry.ModificationTime;
        inode.DevMajor = entry.DevMajor;
        inode.DevMinor = entry.DevMinor;
        if (inode.Type == LayerInodeType.Regular)
        {
            inode.Size = entry.Size;
            inode.DataOffset = entry.DataOffset;
        }
        if (inode.Type == LayerInodeType.Symlink) inode.LinkTarget = entry.LinkName;
        foreach (var (name, value) in entry.Xattrs ?? new Dictionary<string, byte[]>())
        {
            // trusted.* is never applied from an archive by containerd (nor by lib/Layers), so the lazy tree does not serve it either.
            if (!name.StartsWith("trusted.", StringComparison.Ordinal)) inode.SetXattr(name, value);
        }
    }

    private static void CountDirectoryLinks(LayerInode directory)
    {
        uint subdirectories = 0;
        foreach (var child in directory.Children!.Values)
        {
            if (!child.IsDirectory) continue;
            subdirectories++;
            CountDirectoryLinks(child);
        }
        directory.LinkCount = 2 + subdirectories;
    }
}
