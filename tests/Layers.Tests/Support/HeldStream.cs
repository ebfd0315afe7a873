namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>A blob that arrives up to half-way, then holds (as a download waiting for the network) until released.</summary>
internal sealed class HeldStream(byte[] content) : Stream
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    /// <summary>Completes when a read has reached the half-way point and waits.</summary>
    public Task Held => _held.Task;

    public void Release() => _released.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var half = content.Length / 2;
        if (_position == half)
        {
            _held.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var end = _position < half ? half : content.Length;
        var n = Math.Min(buffer.Length, end - _position);
        content.AsSpan(_position, n).CopyTo(buffer.Span);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
