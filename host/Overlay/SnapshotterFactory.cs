using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>Opens the overlay snapshotter core: SOCI's <c>NewSnapshotter(root, fs, opts...)</c>.</summary>
internal sealed class SnapshotterFactory(ILoggerFactory loggerFactory, TimeProvider time, FuseKeeperLauncher? keeper = null,
    PrepareMetrics? prepareMetrics = null) : ISnapshotterFactory
{
    public async Task<ISnapshotter> CreateAsync(string root, IFileSystem fileSystem, SnapshotterOptions options, CancellationToken cancellationToken)
    {
        var layout = new SnapshotLayout(root);
        Directory.CreateDirectory(layout.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(layout.SnapshotsDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var logger = loggerFactory.CreateLogger<OverlaySnapshotter>();
        var features = OverlayFeatures.Probe(layout.Root, logger);
        var store = await MetaStore.OpenAsync(layout.MetadataPath, cancellationToken);
        var planner = fileSystem as ILayerPlanner ?? new FixedPlanner(options, fileSystem.Capabilities);
        var snapshotter = new OverlaySnapshotter(layout, store, fileSystem, planner, options, features, logger, time, prepareMetrics);
        try
        {
            await snapshotter.RestoreRemoteSnapshotsAsync(keeper?.Client, cancellationToken);
            await snapshotter.RemoveLeftoversAsync(cancellationToken);
            return snapshotter;
        }
        catch
        {
            await snapshotter.DisposeAsync();
            throw;
        }
    }

    private sealed class FixedPlanner(SnapshotterOptions options, BackendCapabilities capabilities) : ILayerPlanner
    {
        private readonly LayerPlan _plan = new(options, capabilities, new Dictionary<string, string>());

        public LayerPlan Plan(LayerRequest layer) => _plan;
    }
}
