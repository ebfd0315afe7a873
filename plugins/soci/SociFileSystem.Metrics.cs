using PluggableSnapshotter.LazyLayers;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>Mount durations and failures, as SOCI reports them (operation_type mount and fuse_mount_failure_count).</summary>
internal sealed partial class SociFileSystem
{
    private readonly LazyLayerMetrics? _metrics;

    /// <inheritdoc />
    public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            var result = await MountLayerAsync(layer, cancellationToken).ConfigureAwait(false);
            if (result.IsMounted)
            {
                _metrics?.RecordDuration(LazyLayerMetrics.Mount, TimeProvider.System.GetElapsedTime(started));
            }
            return result;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The chain unpacks the layer locally instead: SOCI's "fall back to a normal overlay mount".
            _metrics?.Count("fuse_mount_failure_count");
            throw;
        }
    }
}
