using PluggableSnapshotter.Host.Overlay;

namespace PluggableSnapshotter.Host.Core;

/// <summary>Makes the overlay snapshotter core over the layer preparer: SOCI's <c>NewSnapshotter(root, fs, opts...)</c>.</summary>
internal interface ISnapshotterFactory
{
    /// <summary>
    /// Opens (or creates) the snapshotter under <paramref name="root"/> and restores its remote snapshots:
    /// stale mounts under the root are unmounted and every remote snapshot is served again through <paramref name="preparer"/>,
    /// failing or warning per <see cref="SnapshotterOptions.AllowInvalidMountsOnRestart"/>.
    /// </summary>
    Task<ISnapshotter> CreateAsync(string root, ILayerPreparer preparer, SnapshotterOptions options, CancellationToken cancellationToken);
}
