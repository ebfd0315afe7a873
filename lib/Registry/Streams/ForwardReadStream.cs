namespace PluggableSnapshotter.Registry.Streams;

/// <summary>
/// A stream read once, front to back (a blob as it downloads, a layer as it decompresses): what such a stream refuses
/// (seeking, writing) in one place, so a stage implements its reads and, where it knows them, its length and position.
/// </summary>
public abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException($"{GetType().Name} does not know its length");
    public override long Position
    {
        get => throw new NotSupportedException($"{GetType().Name} does not track its position");
        set => throw new NotSupportedException($"{GetType().Name} is read front to back");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException($"{GetType().Name} is read front to back");
    public override void SetLength(long value) => throw new NotSupportedException($"{GetType().Name} is read-only");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException($"{GetType().Name} is read-only");
}
