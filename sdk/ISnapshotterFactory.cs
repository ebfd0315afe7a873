namespace PluggableSnapshotter.Sdk;

/// <summary>Makes the overlay snapshotter core over a file system: SOCI's <c>NewSnapshotter(root, fs, opts...)</c>.</summary>
public interface ISnapshotterFactory
{
    /// <summary>
    /// Opens (or creates) the snapshotter under <paramref name="root"/> and restores its remote snapshots:
    /// stale mounts under the root are unmounted and every remote snapshot is mounted again through <paramref name="fileSystem"/>,
    /// failing or warning per <see cref="SnapshotterOptions.AllowInvalidMountsOnRestart"/>.
    /// </summary>
    Task<ISnapshotter> CreateAsync(string root, IFileSystem fileSystem, SnapshotterOptions options, CancellationToken cancellationToken);
}
