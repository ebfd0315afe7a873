namespace PluggableSnapshotter.Soci;

/// <summary>Reads <paramref name="length"/> bytes of the layer blob starting at <paramref name="offset"/> (e.g. an HTTP range).</summary>
public delegate ValueTask<ReadOnlyMemory<byte>> CompressedRangeReader(long offset, int length, CancellationToken cancellationToken);
