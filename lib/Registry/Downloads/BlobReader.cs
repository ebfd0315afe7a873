using PluggableSnapshotter.Registry.Streams;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Reads a <see cref="BlobDownload"/> from its start while it is still downloading, waiting at the watermark. At the end it
/// waits for the download to complete, so a digest mismatch (or a failed download) is the error of the last read.
/// </summary>
internal sealed class BlobReader(BlobDownload download) : ForwardReadStream
{
    private const int ReadBatch = 16 * 1024 * 1024; // one wake-up per 16 MiB: each costs a scheduling delay on a busy machine
    private long _position;

    public override long Length => download.Size;
    public override long Position => _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (download.IsBroken) await download.Completion.ConfigureAwait(false); // fail now, not after the bytes that did arrive
            var ended = download.Completion.IsCompleted; // read before the watermark: a finished download has its final watermark
            var watermark = download.Watermark;
            if (_position < watermark)
            {
                var read = download.ReadAt(buffer.Span[..(int)Math.Min(buffer.Length, watermark - _position)], _position);
                if (read == 0) throw new IOException($"blob file {download.Path} is shorter than its download watermark");
                _position += read;
                return read;
            }

            if (ended)
            {
                await download.Completion.ConfigureAwait(false); // throws when the download failed or the digest did not match
                return 0;
            }

            await download.WaitForAsync(_position + Math.Max(buffer.Length, ReadBatch), cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("blob readers wait for the download and are read asynchronously (ReadAsync)");
}
