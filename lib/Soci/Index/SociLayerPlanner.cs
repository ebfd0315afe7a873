namespace PluggableSnapshotter.Soci;

/// <summary>
/// Picks the layers an index covers: gzip and uncompressed tar layers of at least the min layer size (SOCI's
/// default 10 MiB). Smaller layers stay out (a sparse index); zstd layers stay non-lazy, as in SOCI.
/// </summary>
public static class SociLayerPlanner
{
    public const long DefaultMinLayerSize = 10L * 1024 * 1024;

    public static IReadOnlyList<LayerPlan> Plan(IReadOnlyList<Descriptor> layers, long minLayerSize)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return [.. layers.Select(layer =>
        {
            LayerCompression? compression = LayerCompressionDetector.FromMediaType(layer.MediaType);
            string? skip = compression switch
            {
                null => $"media type {layer.MediaType} is not a tar layer",
                LayerCompression.Zstd => "zstd layers get no zTOC (SOCI indexes only gzip and uncompressed layers)",
                _ when layer.Size < minLayerSize => $"{layer.Size} bytes is under the min layer size {minLayerSize}",
                _ => null,
            };
            return new LayerPlan(layer, compression, skip);
        })];
    }
}
