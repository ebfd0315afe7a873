using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>Opens the overlay snapshotter core: SOCI's <c>NewSnapshotter(root, fs, opts...)</c>.</summary>
internal sealed class SnapshotterFactory(ILoggerFactory loggerFactory, TimeProvider time, FuseKeeperLauncher? keeper = null) : ISnapshotterFactory
{
    /// <summary>Measures a layer's disk usage (tests slow it down to show that it holds no lock).</summary>
    internal Func<string, CancellationToken, SnapshotUsage> MeasureUsage { get; init; } = DiskUsage.Measure;

    public async Task<ISnapshotter> CreateAsync(string root, ILayerPreparer preparer, SnapshotterOptions options, CancellationToken cancellationToken)
    {
        var layout = new SnapshotLayout(root);
        Directory.CreateDirectory(layout.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(layout.SnapshotsDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var logger = loggerFactory.CreateLogger<OverlaySnapshotter>();
        var features = OverlayFeatures.Probe(layout.Root, logger);
        var store = await MetaStore.OpenAsync(layout.MetadataPath, cancellationToken);
        var snapshotter = new OverlaySnapshotter(layout, store, preparer, options, features, logger, time, MeasureUsage);
        try
        {
            // A keeper started just now holds nothing of an earlier run: asking it would only wait for it to start.
            await snapshotter.RestoreRemoteSnapshotsAsync(keeper?.EarlierRunsKeeper, cancellationToken);
            await snapshotter.RemoveLeftoversAsync(cancellationToken);
            return snapshotter;
        }
        catch
        {
            await snapshotter.DisposeAsync();
            throw;
        }
    }
}
