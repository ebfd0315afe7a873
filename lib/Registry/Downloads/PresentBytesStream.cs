using System.Security.Cryptography;
using PluggableSnapshotter.Registry.Blobs;
using PluggableSnapshotter.Registry.Streams;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Reads a blob front to back from its <see cref="PartialBlob"/>, taking whatever bytes are present wherever the download
/// has got to: a layer's readers fetch far ahead of a background download that waits behind them, and an unpack
/// following this reader keeps up with them rather than with the download. It waits only at a byte nobody has fetched.
/// It hashes exactly the bytes it returns and checks the blob digest at the end (the last read fails on a mismatch), so
/// what is unpacked from it is the blob's, whatever happens to the partial blob's bytes meanwhile (a range a reader
/// forgets and fetches again).
/// </summary>
public sealed class PresentBytesStream : ForwardReadStream
{
    private readonly BlobDownload _download;
    private readonly PartialBlob _partial;
    private readonly IncrementalHash _hash;
    private long _position;
    private Exception? _mismatch;
    private bool _checked;

    internal PresentBytesStream(BlobDownload download, PartialBlob partial)
    {
        (_download, _partial) = (download, partial);
        _hash = download.Blob.ParsedDigest.CreateHash();
    }

    public override long Length => _partial.Size;
    public override long Position => _position;

    /// <summary>True once the last read found the bytes it gave matching the blob's digest.</summary>
    public bool Verified { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_position >= _partial.Size)
            {
                CheckDigest();
                return 0;
            }
            var run = (int)_partial.PresentRun(_position, buffer.Length);
            if (run == 0 && _download.Completion.IsCompletedSuccessfully)
            {
                // Every chunk was fetched, yet the map lost this byte: a reader found its range wrong against a zTOC (or
                // TOC) and forgot it. The file still holds what the registry sent; read it, and let the digest decide.
                run = (int)Math.Min(buffer.Length, _partial.Size - _position);
            }
            if (run > 0) return Take(buffer.Span[..run]);
            if (_download.IsBroken) await _download.Completion.ConfigureAwait(false); // its error says why no more bytes come
            // Its own token: the presence wait is dropped as soon as the download ends first.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var present = _partial.WhenPresentAsync(_position, wait.Token);
            await Task.WhenAny(present, _download.Completion).WaitAsync(cancellationToken).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
            if (present.IsFaulted) await present.ConfigureAwait(false); // the partial blob was closed (the layer went away)
        }
    }

    private int Take(Span<byte> buffer)
    {
        var read = _download.ReadAt(buffer, _position);
        if (read == 0) throw new IOException($"blob file {_download.Path} ends at {_position}, before the blob does");
        _hash.AppendData(buffer[..read]);
        _position += read;
        return read;
    }

    private void CheckDigest()
    {
        if (!_checked)
        {
            _checked = true;
            if (!_download.Blob.ParsedDigest.Matches(_hash.GetHashAndReset()))
                _mismatch = BlobDigestMismatch.Create($"blob {_download.Blob.Digest} does not match its digest: its {_partial.Size} bytes hash differently");
            else Verified = true;
        }
        if (_mismatch is not null) throw _mismatch;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("blob readers wait for the download and are read asynchronously (ReadAsync)");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
