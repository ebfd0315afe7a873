using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry.Streams;
using PluggableSnapshotter.Registry.Transport;

namespace PluggableSnapshotter.Registry.Blobs;

/// <summary>
/// A blob's bytes as they arrive, hashed on the way. The read that completes the blob checks the digest first and
/// throws <see cref="InvalidDataException"/> instead of returning bytes when it does not match, so a reader that stops
/// at the descriptor's size still sees the error. A connection that breaks mid-blob is resumed with a range request.
/// </summary>
/// <remarks>Asynchronous reads only: a resume needs an HTTP request.</remarks>
internal sealed class VerifyingBlobStream : ForwardReadStream
{
    private readonly OciDigest _digest;
    private readonly long _size;
    private readonly Func<long, CancellationToken, Task<(RegistryResponse Response, Stream Body)>> _reopen;
    private readonly ILogger _logger;
    private readonly IncrementalHash _hash;
    private readonly int _maxResumes;
    private RegistryResponse _response;
    private Stream _body;
    private long _position;
    private int _resumes;
    private bool _verified;

    public VerifyingBlobStream(
        OciDigest digest, long size, RegistryResponse response, Stream body,
        Func<long, CancellationToken, Task<(RegistryResponse, Stream)>> reopen, int maxResumes, ILogger logger)
    {
        _digest = digest;
        _size = size;
        _response = response;
        _body = body;
        _reopen = reopen;
        _maxResumes = maxResumes;
        _logger = logger;
        _hash = digest.CreateHash();
    }

    public override long Length => _size;
    public override long Position => _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _verified) return 0;
        while (true)
        {
            int read;
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _response.Deadline);
                var room = (int)Math.Min(buffer.Length, _size - _position);
                read = room == 0 ? 0 : await _body.ReadAsync(buffer[..room], linked.Token).ConfigureAwait(false);
                if (read == 0 && _position < _size)
                    throw new IOException($"connection closed after {_position} of {_size} bytes");
            }
            catch (Exception ex) when (RegistryTransport.IsTransportFailure(ex) && !cancellationToken.IsCancellationRequested && _resumes < _maxResumes)
            {
                _resumes++;
                RegistryLog.BlobResuming(_logger, _digest.ToString(), _position, ex.Message);
                await ResumeAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            _hash.AppendData(buffer.Span[..read]);
            _position += read;
            if (_position == _size) Verify();
            return read;
        }
    }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("blob streams are read asynchronously (ReadAsync)");
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Verify()
    {
        Span<byte> actual = stackalloc byte[64];
        var length = _hash.GetHashAndReset(actual);
        if (!_digest.Matches(actual[..length]))
        {
            throw BlobDigestMismatch.Create(
                $"blob {_digest} does not match its digest: the registry sent {_size} bytes hashing to {_digest.Algorithm}:{Convert.ToHexStringLower(actual[..length])}");
        }

        _verified = true;
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        await _body.DisposeAsync().ConfigureAwait(false);
        _response.Dispose();
        var (response, body) = await _reopen(_position, cancellationToken).ConfigureAwait(false);
        _response = response;
        _body = body;
        if (response.StatusCode == HttpStatusCode.PartialContent) return;

        // The server ignored the range and sent the whole blob again: skip what we already have.
        var skip = _position;
        var scratch = new byte[81920];
        while (skip > 0)
        {
            var read = await _body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, skip)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException("blob ended while skipping to the resume offset");
            skip -= read;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
