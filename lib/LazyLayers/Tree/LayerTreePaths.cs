namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>Looks up inodes of a layer tree by path.</summary>
public static class LayerTreePaths
{
    /// <summary>Finds the inode at <paramref name="path"/> (components without "/"), or null.</summary>
    public static LayerInode? Find(LayerInode root, IEnumerable<string> path)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        var current = root;
        foreach (var part in path)
        {
            if (current.Children is null || !current.Children.TryGetValue(part, out var next)) return null;
            current = next;
        }
        return current;
    }
}
