namespace PluggableSnapshotter.Soci.Cli.Output;

/// <summary>Reads through to another stream and reports how far it got.</summary>
internal sealed class ProgressStream(Stream inner, long total, Reporter reporter, string label) : Stream
{
    private long _done;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => total;

    public override long Position
    {
        get => _done;
        set => throw new NotSupportedException("progress streams only read forward");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Advance(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Advance(n);
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("progress streams only read forward");

    public override void SetLength(long value) => throw new NotSupportedException("progress streams are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("progress streams are read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Advance(int n)
    {
        _done += n;
        reporter.Progress(label, _done, total);
    }
}
