using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Registry.Blobs;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>A resumed download's range requests against a registry whose bodies end early, with a gate that counts what it is charged.</summary>
public sealed class BlobDownloadGateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("blob-download-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StartAsync_ShortBodiesRetried_ChargesTheGateOncePerReceivedByte()
    {
        var blob = new byte[256 * 1024];
        new Random(11).NextBytes(blob);
        var descriptor = new Descriptor { MediaType = "application/octet-stream", Digest = OciDigest.Compute(blob).ToString(), Size = blob.Length };
        await using var server = new ShortBodyRegistry(blob, shortBodies: 2);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), blob.Length);
        partial.Write(0, blob.AsSpan(0, 16 * 1024)); // a reader fetched the first 16 KiB: not charged
        var gate = new CountingGate();
        using var perImage = new DownloadLimiter(2);
        using var global = new DownloadLimiter(4);
        var plan = new DownloadPlan(client, ImageReference.Parse(server.Reference), perImage, global, 64 * 1024, RangesSupported: true, ChunkAttempts: 3, NullLogger.Instance, gate);
        using var download = BlobDownload.Resume(descriptor, partial);

        await download.StartAsync(plan);
        await download.Completion;

        Assert.Equal(blob.Length - (16 * 1024), gate.Charged);
        Assert.True(server.RangeRequests >= 6, $"{server.RangeRequests} range requests"); // 4 chunks and 2 retries at least
        Assert.Equal(blob.Length, partial.BytesPresent);
    }

    [Fact]
    public async Task Completion_ShortBodyOnEveryAttempt_FailsWithoutBlamingTheFetchedBytes()
    {
        var (blob, descriptor) = Blob();
        await using var server = new ShortBodyRegistry(blob, shortBodies: int.MaxValue);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), blob.Length);
        partial.Write(0, blob.AsSpan(0, 16 * 1024));
        using var download = BlobDownload.Resume(descriptor, partial);

        await download.StartAsync(Plan(client, server));
        var error = await Assert.ThrowsAnyAsync<InvalidDataException>(() => download.Completion);

        Assert.False(BlobDigestMismatch.IsCause(error), error.ToString()); // the fill keeps the partial blob and retries its gaps
        Assert.Equal(16 * 1024, partial.BytesPresent);
    }

    [Fact]
    public async Task PresentReader_StoredBytesWrong_FailsWithADigestMismatch()
    {
        var (blob, descriptor) = Blob();
        await using var server = new ShortBodyRegistry(blob, shortBodies: 0);
        using var client = new RegistryClient();
        using var partial = PartialBlob.Open(Path.Combine(_directory, "blob"), blob.Length);
        partial.Write(0, new byte[16 * 1024]); // recorded present, not the blob's bytes
        using var download = BlobDownload.Resume(descriptor, partial);

        await download.StartAsync(Plan(client, server));
        await using var reader = download.OpenPresentReader(); // the download does not hash: its reader checks what it reads
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => reader.CopyToAsync(Stream.Null));

        Assert.True(BlobDigestMismatch.IsCause(error));
        Assert.True(BlobDigestMismatch.IsCause(new IOException("unpacking failed", error)));
    }

    private static (byte[] Blob, Descriptor Descriptor) Blob()
    {
        var blob = new byte[256 * 1024];
        new Random(11).NextBytes(blob);
        return (blob, new Descriptor { MediaType = "application/octet-stream", Digest = OciDigest.Compute(blob).ToString(), Size = blob.Length });
    }

    private static DownloadPlan Plan(RegistryClient client, ShortBodyRegistry server) =>
        new(client, ImageReference.Parse(server.Reference), new DownloadLimiter(2), new DownloadLimiter(4), 64 * 1024, RangesSupported: true, ChunkAttempts: 2, NullLogger.Instance);

    private sealed class CountingGate : IDownloadGate
    {
        private long _charged;

        public long Charged => Interlocked.Read(ref _charged);

        public Task WaitAsync(long bytes, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _charged, bytes);
            return Task.CompletedTask;
        }
    }
}
