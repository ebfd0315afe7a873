namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>Serves bytes, then at <paramref name="failAt"/> runs <paramref name="onFail"/> (throw, or cancel a token) once.</summary>
public sealed class FaultingStream(byte[] content, int failAt, Action onFail) : Stream
{
    private int _position;
    private bool _failed;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= failAt && !_failed)
        {
            _failed = true;
            onFail();
        }

        var n = Math.Min(buffer.Length, Math.Min(content.Length, _failed ? content.Length : failAt) - _position);
        content.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
