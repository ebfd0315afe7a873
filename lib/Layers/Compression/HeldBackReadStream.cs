namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// Reads its source after awaiting a hold-back before each read, so that whoever pulls from it (a decompressor, an
/// unpack) stops where it is while the hold lasts. Read asynchronously only; owns its source.
/// </summary>
internal sealed class HeldBackReadStream(Stream source, Func<CancellationToken, ValueTask> holdBack) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await holdBack(cancellationToken).ConfigureAwait(false);
        return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a held-back stream is read asynchronously (ReadAsync)");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("length unknown");
    public override long Position { get => throw new NotSupportedException("not seekable"); set => throw new NotSupportedException("not seekable"); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("not seekable");
    public override void SetLength(long value) => throw new NotSupportedException("read-only");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
        base.Dispose(disposing);
    }
}
