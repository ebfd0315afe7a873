namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// A read-only, forward-only stream that is read asynchronously only: what such a stream refuses, in one place, so that
/// a stage of the layer pipeline implements only its <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.
/// </summary>
internal abstract class AsyncReadOnlyStream : Stream
{
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException($"{GetType().Name} is read asynchronously (ReadAsync)");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("length unknown");
    public override long Position { get => throw new NotSupportedException("not seekable"); set => throw new NotSupportedException("not seekable"); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("not seekable");
    public override void SetLength(long value) => throw new NotSupportedException("read-only");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("read-only");
}
