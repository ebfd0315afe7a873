namespace PluggableSnapshotter.Host.Overlay;

/// <summary>Where things live under the snapshotter root.</summary>
internal sealed class SnapshotLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string SnapshotsDirectory => Path.Combine(Root, "snapshots");

    public string MetadataPath => Path.Combine(Root, "metadata.db");

    public string SnapshotDirectory(long id) => Path.Combine(SnapshotsDirectory, id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The layer's own files: the upper dir of an active snapshot, a lower dir for its children.</summary>
    public string UpperPath(long id) => Path.Combine(SnapshotDirectory(id), "fs");

    public string WorkPath(long id) => Path.Combine(SnapshotDirectory(id), "work");
}
