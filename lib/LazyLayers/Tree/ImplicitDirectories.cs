using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// Keeps a layer's implicit directories (see <see cref="LayerInode.Implicit"/>) alike in its FUSE tree and in its
/// unpacked copy in the store. The fill unpacks a layer without its lower layers at hand, so it writes the attributes
/// the tree took from the lowers at mount time onto the copy; a layer mounted from the store reads them back.
/// </summary>
public static class ImplicitDirectories
{
    private static readonly string[] OverlayXattrPrefixes = ["trusted.overlay.", "user.overlay."];

    /// <summary>Gives the implicit directories under <paramref name="fsPath"/> the tree's attributes for them.</summary>
    public static void CopyFromTree(LayerInode root, string fsPath) => Visit(root, fsPath, (inode, path) =>
    {
        var modified = new Timespec(inode.ModificationTime.Seconds, inode.ModificationTime.Nanoseconds);
        DirectoryAttributes.Set(path, inode.Permissions, inode.Uid, inode.Gid, modified);
        foreach (var (name, value) in inode.Xattrs ?? Enumerable.Empty<KeyValuePair<string, byte[]>>())
        {
            if (!IsOverlayXattr(name)) Xattrs.SetNoFollow(path, name, value);
        }
    });

    /// <summary>
    /// The chain's view of <paramref name="shared"/> (see <see cref="ChainTree"/>) whose implicit directories have the
    /// attributes of the same directories under <paramref name="fsPath"/>.
    /// </summary>
    public static LayerInode ResolveFrom(string fsPath, LayerInode shared) => ChainTree.Resolve(shared, (inode, path) =>
    {
        var directory = Path.Join(fsPath, string.Join('/', path));
        var status = FileStatus.Of(directory);
        (inode.Permissions, inode.Uid, inode.Gid) = (status.Permissions, status.Uid, status.Gid);
        inode.ModificationTime = new UnixTime(status.Modified.Seconds, (uint)status.Modified.Nanoseconds);
        foreach (var name in Xattrs.List(directory))
        {
            if (!IsOverlayXattr(name) && Xattrs.Get(directory, name) is { } value) inode.SetXattr(name, value);
        }
    });

    private static void Visit(LayerInode directory, string path, Action<LayerInode, string> action)
    {
        foreach (var (name, child) in directory.Children!)
        {
            if (!child.IsDirectory) continue;
            var childPath = Path.Join(path, name);
            if (child.Implicit) action(child, childPath);
            Visit(child, childPath, action);
        }
    }

    private static bool IsOverlayXattr(string name) => OverlayXattrPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
