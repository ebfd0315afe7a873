namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>
/// What a snapshotter root holds, for leak checks: the bytes and paths of every file and folder except the metadata
/// database (SQLite keeps freed pages, so its size is reported apart and not compared) and the logs at its top (the FUSE
/// keeper, started in the background, writes its first lines whenever it gets there: they are not a leak).
/// </summary>
public sealed record RootUsage(long Bytes, long DatabaseBytes, IReadOnlyList<string> Paths)
{
    /// <summary>Walks <paramref name="root"/> (without following symbolic links); a walk that races a rename or delete is retried.</summary>
    public static RootUsage Measure(string root)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Walk(root);
            }
            catch (IOException) when (attempt < 20)
            {
                // A file or folder went away under the walk (a layer moved into its snapshot): walk again.
            }
        }
    }

    private static RootUsage Walk(string root)
    {
        long bytes = 0, database = 0;
        var paths = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var relative = Path.GetRelativePath(root, entry.FullName);
            var length = entry is FileInfo { LinkTarget: null } file ? file.Length : 0;
            if (relative.StartsWith("metadata.db", StringComparison.Ordinal))
            {
                database += length;
                continue;
            }
            if (!relative.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) && relative.EndsWith(".log", StringComparison.Ordinal))
            {
                continue;
            }
            bytes += length;
            paths.Add(relative);
        }
        paths.Sort(StringComparer.Ordinal);
        return new RootUsage(bytes, database, paths);
    }

    /// <summary>The paths here that <paramref name="before"/> did not have.</summary>
    public IReadOnlyList<string> Added(RootUsage before) => [.. Paths.Except(before.Paths)];

    public override string ToString() => $"{Bytes} bytes in {Paths.Count} entries (metadata.db* {DatabaseBytes} bytes)";
}
