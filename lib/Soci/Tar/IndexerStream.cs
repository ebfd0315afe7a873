using PluggableSnapshotter.Registry.Streams;
using PluggableSnapshotter.Soci.Build;

namespace PluggableSnapshotter.Soci.Tar;

/// <summary>The uncompressed tar stream an indexer hands out, as a read-only forward <see cref="Stream"/> for the tar reader.</summary>
internal sealed class IndexerStream(ILayerIndexer indexer) : ForwardReadStream
{
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        indexer.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        indexer.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the layer indexer is read asynchronously");
}
