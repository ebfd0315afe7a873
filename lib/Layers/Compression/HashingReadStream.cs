using System.Diagnostics;
using System.Security.Cryptography;
using PluggableSnapshotter.Registry.Streams;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>Passes reads through while hashing (sha256), counting and timing them.</summary>
internal sealed class HashingReadStream(Stream inner, bool hash = true) : ForwardReadStream
{
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long BytesRead { get; private set; }

    /// <summary>Whether it hashes (else only counts and times).</summary>
    public bool Hashing => _hash is not null;

    /// <summary>Time spent waiting for the inner stream (decompression and everything under it).</summary>
    public TimeSpan ReadTime { get; private set; }

    /// <summary>Reads whatever is left, so the hash covers the whole stream (tar readers stop at the end-of-archive blocks).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>The sha256 of everything read, as <c>sha256:&lt;hex&gt;</c>.</summary>
    /// <remarks>Also valid after disposal (a read-ahead stage disposes its source when the source ends).</remarks>
    public string Digest() => "sha256:" + Convert.ToHexStringLower(_final ?? (_hash ?? throw new InvalidOperationException("not hashing")).GetCurrentHash());

    private byte[]? _final;

    public override long Position => BytesRead;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var started = Stopwatch.GetTimestamp();
        var n = inner.Read(buffer);
        ReadTime += Stopwatch.GetElapsedTime(started);
        Account(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        ReadTime += Stopwatch.GetElapsedTime(started);
        Account(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Account(ReadOnlySpan<byte> bytes)
    {
        _hash?.AppendData(bytes);
        BytesRead += bytes.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _final ??= _hash?.GetCurrentHash();
            _hash?.Dispose();
        }

        base.Dispose(disposing);
    }
}
