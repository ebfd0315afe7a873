namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// Gives a layer's implicit directories (entries below them, no entry of their own) the attributes the layers below
/// have for them, as containerd's applier does when it creates a missing parent (it copies mode, owner, times and xattrs
/// from the first lower layer holding that directory). Without this, a layer that only adds a file to <c>/data</c> would
/// show <c>/data</c> as 0755 root:root in the container instead of what the image says.
/// </summary>
public static class LowerDirectoryAttributes
{
    private static readonly string[] OverlayXattrPrefixes = ["trusted.overlay.", "user.overlay."];

    /// <summary>The chain's view of <paramref name="shared"/> (see <see cref="ChainTree"/>): its implicit directories with the lowers' attributes.</summary>
    /// <param name="shared">The layer's tree, shared by every snapshot of the layer.</param>
    /// <param name="lowers">The chain's trees of the layers below, nearest first (layers not served by this backend are missing).</param>
    public static LayerInode Resolve(LayerInode shared, IReadOnlyList<LayerInode> lowers)
    {
        ArgumentNullException.ThrowIfNull(lowers);
        return lowers.Count == 0 ? shared : ChainTree.Resolve(shared, (directory, path) => CopyFromLowers(directory, path, lowers));
    }

    private static void CopyFromLowers(LayerInode directory, IReadOnlyList<string> path, IReadOnlyList<LayerInode> lowers)
    {
        foreach (var lower in lowers)
        {
            var found = LayerTreePaths.Find(lower, path);
            if (found is null) continue;
            if (!found.IsDirectory) return; // a whiteout or file hides anything further down
            directory.Permissions = found.Permissions;
            directory.Uid = found.Uid;
            directory.Gid = found.Gid;
            directory.ModificationTime = found.ModificationTime;
            foreach (var (name, value) in found.Xattrs ?? Enumerable.Empty<KeyValuePair<string, byte[]>>())
            {
                if (!OverlayXattrPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) directory.SetXattr(name, value);
            }
            return;
        }
    }
}
