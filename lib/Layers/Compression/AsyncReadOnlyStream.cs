using PluggableSnapshotter.Registry.Streams;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// A read-only, forward-only stream that is read asynchronously only: what such a stream refuses, in one place, so that
/// a stage of the layer pipeline implements only its <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.
/// </summary>
internal abstract class AsyncReadOnlyStream : ForwardReadStream
{
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException($"{GetType().Name} is read asynchronously (ReadAsync)");
}
