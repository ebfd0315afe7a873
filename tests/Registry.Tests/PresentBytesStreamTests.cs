using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Registry.Blobs;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>
/// A fill's reader of a resumed download: it takes the bytes other fetchers (a layer's readers) put in the partial blob
/// wherever the download is, and checks the blob digest over what it gave. Against a loopback registry of one blob whose
/// download is held back by a gate that never opens, so that every byte read comes from the test's writes.
/// </summary>
public sealed class PresentBytesStreamTests : IDisposable
{
    private const int Piece = 64 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _directory = Directory.CreateTempSubdirectory("present-bytes-").FullName;
    private readonly byte[] _blob = RandomBytes(4 * Piece);
    private readonly Descriptor _descriptor;

    public PresentBytesStreamTests() =>
        _descriptor = new Descriptor { MediaType = "application/octet-stream", Digest = OciDigest.Compute(_blob).ToString(), Size = _blob.Length };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ReadAsync_OtherFetchersWriteTheBytesOutOfOrder_ReadsTheBlobWhileTheDownloadFetchesNothing()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), _blob.Length);
        partial.Write(0, _blob.AsSpan(0, Piece));
        partial.Write(2 * Piece, _blob.AsSpan(2 * Piece, Piece)); // a reader fetched past a gap
        using var download = BlobDownload.Resume(_descriptor, partial);
        _ = download.StartAsync(HeldPlan(client, server));
        await using var reader = download.OpenPresentReader();

        var head = await ReadAsync(reader, Piece);
        var waiting = ReadAsync(reader, 3 * Piece);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted); // at the gap nobody has fetched
        partial.Write(3 * Piece, _blob.AsSpan(3 * Piece));
        partial.Write(Piece, _blob.AsSpan(Piece, Piece));
        var rest = await waiting.WaitAsync(Patience);

        Assert.Equal(_blob, head.Concat(rest).ToArray());
        Assert.Equal(0, await reader.ReadAsync(new byte[1]).AsTask().WaitAsync(Patience)); // the end: the digest matched
        Assert.Equal(0, server.RangeRequests);
    }

    [Fact]
    public async Task ReadAsync_BytesRewrittenRightAfterTheyWereRead_LastReadFailsWithADigestMismatch()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), _blob.Length);
        partial.Write(0, new byte[Piece]); // recorded present, not the blob's bytes
        using var download = BlobDownload.Resume(_descriptor, partial);
        _ = download.StartAsync(HeldPlan(client, server));
        await using var reader = download.OpenPresentReader();

        await ReadAsync(reader, Piece);
        partial.Write(0, _blob); // the wrong range fetched again: the file now holds the blob, but the reader gave other bytes
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(reader, _blob.Length).WaitAsync(Patience));

        Assert.True(BlobDigestMismatch.IsCause(error));
        Assert.Contains("digest", error.Message, StringComparison.Ordinal);
        Assert.Equal(_blob, await File.ReadAllBytesAsync(partial.Path));
    }

    [Fact]
    public async Task ReadAsync_DownloadFailsAtAGap_ThrowsItsErrorNotADigestMismatch()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: int.MaxValue);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), _blob.Length);
        partial.Write(0, _blob.AsSpan(0, Piece));
        using var download = BlobDownload.Resume(_descriptor, partial);
        _ = download.StartAsync(new DownloadPlan(client, ImageReference.Parse(server.Reference), new DownloadLimiter(2), new DownloadLimiter(4), Piece,
            RangesSupported: true, ChunkAttempts: 2, NullLogger.Instance));
        await using var reader = download.OpenPresentReader();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ReadAsync(reader, _blob.Length).WaitAsync(Patience));

        Assert.False(BlobDigestMismatch.IsCause(error), error.ToString());
        Assert.Equal(Piece, partial.BytesPresent); // what was fetched before stays for the next fill
    }

    [Fact]
    public void OpenReaders_PlainReaderOfAResumeOrPresentReaderOfAFreshDownload_Refused()
    {
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), _blob.Length);
        using var resumed = BlobDownload.Resume(_descriptor, partial);
        using var fresh = BlobDownload.Create(_descriptor, Path.Combine(_directory, "fresh"));

        Assert.Throws<InvalidOperationException>(() => resumed.OpenReader()); // it does not hash: only its present reader checks the digest
        Assert.Throws<InvalidOperationException>(() => fresh.OpenPresentReader());
    }

    /// <summary>A plan whose requests wait at a gate that never opens (on-demand reads that never end).</summary>
    private static DownloadPlan HeldPlan(RegistryClient client, ShortBodyRegistry server) =>
        new(client, ImageReference.Parse(server.Reference), new DownloadLimiter(2), new DownloadLimiter(4), Piece, RangesSupported: true,
            ChunkAttempts: 2, NullLogger.Instance, new ClosedGate());

    private static async Task<byte[]> ReadAsync(Stream stream, int count)
    {
        var bytes = new byte[count];
        var read = 0;
        while (read < count)
        {
            var got = await stream.ReadAsync(bytes.AsMemory(read));
            if (got == 0) break;
            read += got;
        }
        return bytes[..read];
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    private sealed class ClosedGate : IDownloadGate
    {
        public Task WaitAsync(long bytes, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
