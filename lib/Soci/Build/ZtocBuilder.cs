using PluggableSnapshotter.Soci.Tar;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// Builds a zTOC from a layer blob in one pass: the tar walk and the checkpoint/digest recording read the same
/// stream (soci-formats.md, "zTOC"). Produces the same fields as SOCI's builder for the same layer and span.
/// </summary>
public static class ZtocBuilder
{
    public static async Task<Ztoc> BuildAsync(Stream layer, LayerCompression compression, ZtocBuildOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SpanSize, 1);
        using Build.ILayerIndexer indexer = compression switch
        {
            LayerCompression.Gzip => new Build.GzipIndexer(layer, options.SpanSize),
            LayerCompression.Uncompressed => new Build.TarIndexer(layer, options.SpanSize),
            _ => throw new NotSupportedException($"zTOCs cannot be built for {compression} layers"),
        };
        (List<FileMetadata> files, long tarSize) = await new TarTocReader(indexer).ReadAllAsync(cancellationToken)
            .ConfigureAwait(false);
        Build.LayerIndex index = await indexer.FinishAsync(cancellationToken).ConfigureAwait(false);
        return new Ztoc
        {
            Version = Ztoc.CurrentVersion,
            BuildToolIdentifier = options.BuildToolIdentifier,
            CompressedArchiveSize = index.CompressedSize,
            UncompressedArchiveSize = tarSize,
            Files = files,
            CompressionInfo = index.CompressionInfo,
        };
    }
}
