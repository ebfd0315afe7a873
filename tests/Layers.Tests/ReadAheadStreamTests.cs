using PluggableSnapshotter.Layers.Compression;
using PluggableSnapshotter.Layers.Tests.Support;

namespace PluggableSnapshotter.Layers.Tests;

public class ReadAheadStreamTests
{
    [Fact]
    public async Task ReadAsync_SourceFailsAfterData_ReturnsTheDataThenThrowsTheSameException()
    {
        var content = Enumerable.Range(0, 1_000_000).Select(i => (byte)i).ToArray();
        await using var stream = new ReadAheadStream(new FaultingStream(content, 600_000, () => throw new InvalidDataException("bad bytes")));
        using var copy = new MemoryStream();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(copy));

        Assert.Equal("bad bytes", error.Message);
        Assert.Equal(content.AsSpan(0, 600_000).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task DisposeAsync_ReaderStopsEarly_StopsProducerAndDisposesSource()
    {
        var source = new TrackingStream(new MemoryStream(new byte[50_000_000]));
        var stream = new ReadAheadStream(source, chunksAhead: 2);
        var buffer = new byte[1000];
        await stream.ReadExactlyAsync(buffer);

        await stream.DisposeAsync();

        Assert.True(source.Disposed);
        Assert.True(source.Position < 50_000_000);
    }

    private sealed class TrackingStream(Stream inner) : Stream
    {
        public bool Disposed { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
