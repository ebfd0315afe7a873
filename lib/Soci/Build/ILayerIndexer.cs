namespace PluggableSnapshotter.Soci.Build;

/// <summary>
/// Reads a layer blob once: hands out the uncompressed tar stream while recording what random access
/// needs (checkpoints, span digests).
/// </summary>
internal interface ILayerIndexer : IDisposable
{
    /// <summary>Next bytes of the uncompressed tar stream; 0 at its end.</summary>
    ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Reads whatever the tar reader left (padding, trailers) and returns the finished record.</summary>
    Task<LayerIndex> FinishAsync(CancellationToken cancellationToken);
}
