using PluggableSnapshotter.LazyLayers.Tree;
using System.Globalization;
using System.Text;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Tree;

/// <summary>
/// Builds a layer's file tree from its zTOC with the overlay conventions containerd's applier uses
/// (soci-formats.md, "Overlay conventions"): <c>.wh.&lt;name&gt;</c> becomes a 0:0 character device, <c>.wh..wh..opq</c>
/// marks its directory opaque, hard links share one inode, PAX <c>SCHILY.xattr.*</c> records become xattrs, and
/// directories the archive does not list are created 0755 and owned by root.
/// </summary>
internal static class LayerTreeBuilder
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const uint DefaultDirectoryPermissions = 0x1ED; // 0755

    /// <summary>Finds the inode at <paramref name="path"/> (components without "/"), or null.</summary>
    public static LayerInode? Find(LayerInode root, IEnumerable<string> path) => LayerTreePaths.Find(root, path);

    /// <summary>Builds the tree of <paramref name="ztoc"/>'s entries (in archive order).</summary>
    /// <param name="ztoc">A validated zTOC.</param>
    /// <param name="userXattr">Mark opaque directories with <c>user.overlay.opaque</c> instead of <c>trusted.overlay.opaque</c>.</param>
    /// <exception cref="InvalidDataException">An entry's name or hard link cannot be placed in the tree.</exception>
    public static LayerInode Build(Ztoc ztoc, bool userXattr)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        var root = LayerInode.NewDirectory(DefaultDirectoryPermissions);
        var opaqueXattr = userXattr ? "user.overlay.opaque" : "trusted.overlay.opaque";
        foreach (var file in ztoc.Files)
        {
            var parts = Split(file.Name);
            // containerd skips an entry that resolves to the layer root ("file ignored: resolved to root"), and so does
            // lib/Layers: the root keeps the snapshotter's defaults, whatever "./" says.
            if (parts.Length == 0) continue;
            var parent = Directory(root, parts.AsSpan(0, parts.Length - 1), file.Name);
            var name = parts[^1];
            if (name == OpaqueMarker)
            {
                parent.SetXattr(opaqueXattr, "y"u8.ToArray());
            }
            else if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                // No permission bits, owned by the whiteout entry's owner, as containerd's OverlayConvertWhiteout makes them.
                var whiteout = new LayerInode(LayerInodeType.CharacterDevice) { Uid = file.Uid, Gid = file.Gid };
                Place(parent, name[WhiteoutPrefix.Length..], whiteout, file.Name);
            }
            else if (file.Type == TarEntryTypes.Hardlink)
            {
                var target = Find(root, Split(file.LinkName))
                    ?? throw new InvalidDataException($"zTOC entry {file.Name} is a hard link to {file.LinkName}, which the layer does not hold before it");
                if (target.IsDirectory) throw new InvalidDataException($"zTOC entry {file.Name} is a hard link to the directory {file.LinkName}");
                if (!ReferenceEquals(parent.Children!.GetValueOrDefault(name), target))
                {
                    Place(parent, name, target, file.Name);
                    target.LinkCount++;
                }
            }
            else if (file.Type == TarEntryTypes.Directory && parent.Children!.TryGetValue(name, out var existing) && existing.IsDirectory)
            {
                CopyAttributes(file, existing); // a directory listed again keeps its children
            }
            else
            {
                var inode = file.Type == TarEntryTypes.Directory ? LayerInode.NewDirectory(0) : new LayerInode(TypeOf(file));
                CopyAttributes(file, inode);
                Place(parent, name, inode, file.Name);
            }
        }
        CountDirectoryLinks(root);
        return root;
    }

    private static void Place(LayerInode parent, string name, LayerInode inode, string entryName)
    {
        if (name.Length == 0 || name is "." or ".." || Encoding.UTF8.GetByteCount(name) > 255)
            throw new InvalidDataException($"zTOC entry {entryName} has a name that cannot be a directory entry");
        if (parent.Children!.TryGetValue(name, out var replaced) && !replaced.IsDirectory)
        {
            replaced.LinkCount = Math.Max(1, replaced.LinkCount) - 1; // a later entry of the same name replaces it
        }
        parent.Children[name] = inode;
    }

    private static LayerInode Directory(LayerInode root, ReadOnlySpan<string> path, string entryName)
    {
        var current = root;
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
                throw new InvalidDataException($"zTOC entry {entryName} lies below {part}, which is not a directory");
            }
            current = next;
        }
        return current;
    }

    /// <summary>The path's components without ".", empty ones and leading "/"; ".." is refused (it would escape the layer).</summary>
    private static string[] Split(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains("..")) throw new InvalidDataException($"zTOC entry {name} climbs out of the layer with '..'");
        return parts;
    }

    private static LayerInodeType TypeOf(FileMetadata file) => file.Type switch
    {
        TarEntryTypes.Regular => LayerInodeType.Regular,
        TarEntryTypes.Symlink => LayerInodeType.Symlink,
        TarEntryTypes.Char => LayerInodeType.CharacterDevice,
        TarEntryTypes.Block => LayerInodeType.BlockDevice,
        TarEntryTypes.Fifo => LayerInodeType.Fifo,
        _ => throw new InvalidDataException($"zTOC entry {file.Name} has type {file.Type}, which cannot be served"),
    };

    private static void CopyAttributes(FileMetadata file, LayerInode inode)
    {
        inode.Implicit = false;
        inode.Permissions = (uint)(file.Mode & 0xFFF);
        inode.Uid = file.Uid;
        inode.Gid = file.Gid;
        inode.ModificationTime = ParseTime(file.ModTime, file.Name);
        inode.DevMajor = (uint)file.DevMajor;
        inode.DevMinor = (uint)file.DevMinor;
        if (inode.Type == LayerInodeType.Regular)
        {
            inode.Size = file.UncompressedSize;
            inode.DataOffset = file.UncompressedOffset;
        }
        if (inode.Type == LayerInodeType.Symlink) inode.LinkTarget = file.LinkName;
        foreach (var record in file.PaxRecords)
        {
            // trusted.* is never applied from an archive by containerd (nor by lib/Layers), so the lazy tree does not serve it either.
            if (record.Key.StartsWith(PaxRecord.XattrPrefix, StringComparison.Ordinal) && record.Key.Length > PaxRecord.XattrPrefix.Length
                && !record.Key.AsSpan(PaxRecord.XattrPrefix.Length).StartsWith("trusted.", StringComparison.Ordinal))
            {
                inode.SetXattr(record.Key[PaxRecord.XattrPrefix.Length..], record.Value);
            }
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

    /// <summary>Go's RFC 3339 with up to nine fractional digits; .NET parses seven, so the rest is cut (100 ns resolution).</summary>
    internal static DateTimeOffset ParseTime(string value, string entryName)
    {
        if (string.IsNullOrEmpty(value)) return DateTimeOffset.UnixEpoch;
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < value.Length && char.IsAsciiDigit(value[end])) end++;
            if (end - dot - 1 > 7) value = string.Concat(value.AsSpan(0, dot + 8), value.AsSpan(end));
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new InvalidDataException($"zTOC entry {entryName} has modification time \"{value}\", which is not RFC 3339");
    }
}
