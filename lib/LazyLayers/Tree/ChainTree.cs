namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// One snapshot chain's view of a layer tree shared by every snapshot of the layer. Only implicit directories (see
/// <see cref="LayerInode.Implicit"/>) differ between chains, as they take their attributes from the layers below: the
/// view copies those whose attributes differ, and their ancestors (to reach them); every other inode is the shared one.
/// A copy shares the shared directory's child map unless one of its children is a copy too: a chain allocates only for
/// what it changes. Copies keep their <see cref="LayerInode.Ino"/> and the tree its shape, so the FUSE view numbers the
/// same nodes alike.
/// </summary>
public static class ChainTree
{
    /// <summary>
    /// The chain's view of <paramref name="shared"/>: <paramref name="attributes"/> gets a copy of each implicit directory
    /// with its path (components from the root), parents before their children, and sets the chain's attributes on it.
    /// Returns <paramref name="shared"/> itself when no implicit directory changes.
    /// </summary>
    public static LayerInode Resolve(LayerInode shared, Action<LayerInode, IReadOnlyList<string>> attributes)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(attributes);
        return Resolve(shared, [], attributes);
    }

    private static LayerInode Resolve(LayerInode directory, List<string> path, Action<LayerInode, IReadOnlyList<string>> attributes)
    {
        LayerInode? copy = null;
        if (directory.Implicit)
        {
            var candidate = directory.Copy(); // shares the child map: only attributes are set on it
            attributes(candidate, path);
            if (!candidate.SameDirectoryAttributes(directory)) copy = candidate;
        }
        SortedDictionary<string, LayerInode>? children = null;
        foreach (var (name, child) in directory.Children!)
        {
            if (!child.IsDirectory) continue;
            path.Add(name);
            var resolved = Resolve(child, path, attributes);
            path.RemoveAt(path.Count - 1);
            if (ReferenceEquals(resolved, child)) continue;
            children ??= new SortedDictionary<string, LayerInode>(directory.Children, StringComparer.Ordinal);
            children[name] = resolved;
        }
        if (children is null) return copy ?? directory;
        return (copy ?? directory).Copy(children);
    }
}
