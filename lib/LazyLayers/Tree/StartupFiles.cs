namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// The files containerd reads from a container's root filesystem while it creates the container, before its process
/// starts: <c>/etc/passwd</c> and <c>/etc/group</c> (the user and its supplementary groups; <c>ctr run</c> and CRI alike).
/// A lazily mounted layer that holds them fetches their bytes right after its mount, so that creating a container on
/// the image waits for no range request.
/// </summary>
public static class StartupFiles
{
    private static readonly string[][] Paths = [["etc", "passwd"], ["etc", "group"]];

    /// <summary>Where the start-up files of the layer's <paramref name="root"/> lie in its content space: (offset, size) of each regular one it holds.</summary>
    public static IEnumerable<(long Offset, long Size)> In(LayerInode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var path in Paths)
        {
            if (LayerTreePaths.Find(root, path) is { Type: LayerInodeType.Regular, Size: > 0 } file) yield return (file.DataOffset, file.Size);
        }
    }
}
