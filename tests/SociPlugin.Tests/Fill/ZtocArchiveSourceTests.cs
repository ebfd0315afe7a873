using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// The tar a soci layer's fill unpacks: spans kept in the store read back, the others decoded from the fill's download,
/// and either way the layer's own tar, byte for byte; a span kept wrong on disk is decoded instead, a span whose blob
/// bytes fail the span digest fails the read. On a gzip layer of 3 MiB with 64 KiB spans, its whole blob in the store
/// (the download sends no request: its registry does not exist).
/// </summary>
public sealed class ZtocArchiveSourceTests : IAsyncLifetime
{
    private readonly string _state = Directory.CreateTempSubdirectory("ztoc-archive-").FullName;
    private readonly RegistryClient _registry = new();
    private byte[] _blob = [];
    private byte[] _tar = [];
    private Ztoc _ztoc = null!;
    private string _digest = "";

    public async Task InitializeAsync()
    {
        var random = new Random(5);
        var builder = new LayerBuilder().Dir("data/");
        for (var i = 0; i < 12; i++)
        {
            var bytes = new byte[256 * 1024];
            if (i % 2 == 0) random.NextBytes(bytes); // incompressible, and compressible between
            else Array.Fill(bytes, (byte)('a' + i));
            builder.File($"data/file{i}", bytes);
        }
        _tar = builder.Tar();
        _blob = Gzip(_tar);
        _digest = OciDigest.Compute(_blob).ToString();
        using var layer = new MemoryStream(_blob);
        _ztoc = await ZtocBuilder.BuildAsync(layer, LayerCompression.Gzip, new ZtocBuildOptions { SpanSize = 64 * 1024 }, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        _registry.Dispose();
        Directory.Delete(_state, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task OpenArchive_SomeSpansKeptOthersInTheBlob_ReadsTheLayersTar()
    {
        var store = StoreWithBlob();
        var kept = Kept(store);
        for (var span = 0; span < kept.SpanCount; span += 2) Keep(kept, span);

        var archive = await ReadArchiveAsync(store);

        Assert.True(kept.SpanCount > 4, $"the layer has {kept.SpanCount} spans");
        AssertTheLayersTar(archive);
        store.ClosePartials();
    }

    [Fact]
    public async Task OpenArchive_AKeptSpanChangedOnDiskBeforeARestart_ReadsItDecodedFromTheBlob()
    {
        var before = StoreWithBlob();
        var kept = Kept(before);
        Keep(kept, 1);
        var (start, _) = new ZtocSpans(_ztoc).UncompressedSpanRange(1);
        before.ClosePartials();
        using (var file = File.OpenHandle(kept.Path, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(file, new[] { (byte)~_tar[start + 10] }, start + 10);
        }
        var store = new LayerStore(_state, new StoreOptions()); // a restarted daemon checks a kept span on its first read
        store.Attach(_digest, "/m1", _blob.Length, "img", null);
        Assert.True(Kept(store).Holds(1, start, new ZtocSpans(_ztoc).UncompressedSpanRange(1).End));

        var archive = await ReadArchiveAsync(store);

        AssertTheLayersTar(archive);
        store.ClosePartials();
    }

    [Fact]
    public async Task OpenArchive_BlobBytesOfASpanNotKeptChanged_FailsTheReadOnTheSpanDigest()
    {
        var store = StoreWithBlob();
        var (start, end) = new ZtocSpans(_ztoc).CompressedSpanRange(2);
        var wrong = new[] { (byte)~_blob[(start + end) / 2] };
        store.Partial(_digest)!.Write((start + end) / 2, wrong);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadArchiveAsync(store));

        Assert.Contains("span 2", error.Message);
        store.ClosePartials();
    }

    private LayerStore StoreWithBlob()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(_digest, "/m1", _blob.Length, "img", null);
        var ztocBytes = ZtocSerializer.Serialize(_ztoc);
        store.RecordPartial(_digest, MediaTypes.OciLayerGzip, OciDigest.Compute(ztocBytes).ToString(), ztocBytes, []);
        store.Partial(_digest)!.Write(0, _blob);
        return store;
    }

    private DecompressedSpans Kept(LayerStore store) =>
        store.Decompressed(_digest, _ztoc.UncompressedArchiveSize, _ztoc.CompressionInfo.MaxSpanId + 1, LayerContent.SpanLayout(_ztoc))!;

    private void Keep(DecompressedSpans kept, int span)
    {
        var (start, end) = new ZtocSpans(_ztoc).UncompressedSpanRange(span);
        Assert.True(kept.TryWrite(span, start, _tar.AsSpan((int)start, (int)(end - start))));
    }

    /// <summary>The source's whole archive over a download of the layer that finds every byte in the store.</summary>
    private async Task<byte[]> ReadArchiveAsync(LayerStore store)
    {
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = _digest, Size = _blob.Length };
        using var download = BlobDownload.Resume(descriptor, store.Partial(_digest)!);
        await download.StartAsync(new DownloadPlan(_registry, ImageReference.Parse("127.0.0.1:9/none/layer:v1"), new DownloadLimiter(1), new DownloadLimiter(1),
            64 * 1024, RangesSupported: true, ChunkAttempts: 1, NullLogger.Instance));
        var source = new ZtocArchiveSource(() => _ztoc, store, _digest);
        await using var archive = source.OpenArchive(download);
        using var read = new MemoryStream();
        await archive.CopyToAsync(read);
        await download.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        return read.ToArray();
    }

    /// <summary>The layer's tar as gzip gives it, up to the archive size the zTOC states (the end of the last entry and beyond).</summary>
    private void AssertTheLayersTar(byte[] archive)
    {
        Assert.Equal(_ztoc.UncompressedArchiveSize, archive.Length);
        Assert.True(archive.AsSpan().SequenceEqual(Gunzip(_blob).AsSpan(0, archive.Length)), "the archive differs from the layer's tar");
        Assert.True(_ztoc.Files.Max(f => f.UncompressedOffset + f.UncompressedSize) <= archive.Length);
    }

    // Not LayerBuilder.Gzip's fastest level, whose few deflate blocks leave a zTOC few places to cut spans.
    private static byte[] Gzip(byte[] tar)
    {
        using var blob = new MemoryStream();
        using (var gzip = new GZipStream(blob, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar);
        return blob.ToArray();
    }

    private static byte[] Gunzip(byte[] blob)
    {
        using var gzip = new GZipStream(new MemoryStream(blob), CompressionMode.Decompress);
        using var tar = new MemoryStream();
        gzip.CopyTo(tar);
        return tar.ToArray();
    }
}
