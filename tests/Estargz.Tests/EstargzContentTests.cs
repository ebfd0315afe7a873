using System.Text;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Content;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>
/// Reads of blobs served by a loopback docker-registry (root only: the registry's storage is a tmpfs): chunks are
/// checked against their digests before a byte is returned, and the TOC against the layer's TOC digest.
/// </summary>
public sealed class EstargzContentTests : IAsyncLifetime
{
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private RegistryClient? _client;

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        _directory = await TmpfsDirectory.CreateAsync("estargz-content", CancellationToken.None);
        _registry = await RegistryFixture.StartAsync(CancellationToken.None, _directory.Path);
        _client = new RegistryClient();
    }

    [RootOnlyFact]
    public async Task ReadAsync_ChunkMatchesDigest_ReturnsItsBytes()
    {
        var text = new string('x', 5000) + "end";
        var (content, _) = await ServeAsync(new EstargzBlobWriter().File("a", Encoding.ASCII.GetBytes(text), chunkSize: 1024).File("b", EstargzBlobWriter.Text("bee")));
        var bytes = new byte[text.Length + 3];

        await content.ReadAsync(0, bytes, CancellationToken.None);

        Assert.Equal(text + "bee", Encoding.ASCII.GetString(bytes));
    }

    [RootOnlyFact]
    public async Task ReadAsync_ChunkBytesDifferFromDigest_ThrowsAndServesNoByteOfIt()
    {
        // The digest of the second file's only chunk belongs to other bytes: as if the registry served tampered data.
        var writer = new EstargzBlobWriter().File("good", EstargzBlobWriter.Text("good\n")).File("bad", EstargzBlobWriter.Text("evil\n"))
            .Change(1, e => e with { ChunkDigest = OciDigest.Compute("good\n"u8).ToString() });
        var (content, layout) = await ServeAsync(writer, groupBytes: 1); // a group per chunk
        var badOffset = layout.Root.Children!["bad"].DataOffset;
        var destination = new byte[5];

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(badOffset, destination, CancellationToken.None));
        Assert.Contains("/bad", error.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[5], destination);
        // Again (a failed group is not cached), while the chunk that matches its digest reads fine.
        await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(badOffset, destination, CancellationToken.None));
        await content.ReadAsync(layout.Root.Children["good"].DataOffset, destination, CancellationToken.None);
        Assert.Equal("good\n"u8.ToArray(), destination);
    }

    [RootOnlyFact]
    public Task ReadAsync_OneGzipChunkOfGroupDiffersFromDigest_OtherChunksServedOnlyReadsNeedingItFail() =>
        OneChunkOfGroupDiffersAsync(EstargzCompression.Gzip);

    [RootOnlyFact]
    public Task ReadAsync_OneZstdChunkOfGroupDiffersFromDigest_OtherChunksServedOnlyReadsNeedingItFail() =>
        OneChunkOfGroupDiffersAsync(EstargzCompression.Zstd);

    private async Task OneChunkOfGroupDiffersAsync(EstargzCompression compression)
    {
        // One read group (1 MiB) holds every chunk: file a's second chunk carries the digest of other bytes.
        var a = Encoding.ASCII.GetBytes(new string('a', 3000));
        var writer = new EstargzBlobWriter(compression).File("a", a, chunkSize: 1024).File("b", EstargzBlobWriter.Text("bee\n"))
            .Change(1, e => e with { ChunkDigest = OciDigest.Compute("not these bytes"u8).ToString() });
        var (content, layout) = await ServeAsync(writer, compression: compression);
        Assert.Single(layout.Groups);
        var fileA = layout.Root.Children!["a"].DataOffset;
        var buffer = new byte[1024];

        await content.ReadAsync(fileA, buffer, CancellationToken.None); // chunk 0: good
        Assert.Equal(a.AsSpan(0, 1024).ToArray(), buffer);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(fileA + 1024, buffer, CancellationToken.None));
        Assert.Contains("/a", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(fileA + 1000, new byte[100], CancellationToken.None)); // straddles into it
        await content.ReadAsync(fileA + 2048, buffer.AsMemory(0, 952), CancellationToken.None); // chunk 2: good
        Assert.Equal(a.AsSpan(2048, 952).ToArray(), buffer.AsSpan(0, 952).ToArray());
        var bee = new byte[4];
        await content.ReadAsync(layout.Root.Children["b"].DataOffset, bee, CancellationToken.None);
        Assert.Equal("bee\n"u8.ToArray(), bee);
    }

    [RootOnlyFact]
    public async Task ReadAsync_ZstdChunkedChunks_ReturnsTheirBytes()
    {
        var random = new byte[70_000];
        new Random(13).NextBytes(random); // incompressible: several read groups of 4 KiB
        var (content, layout) = await ServeAsync(new EstargzBlobWriter(EstargzCompression.Zstd).File("a", random, chunkSize: 16384)
            .File("b", EstargzBlobWriter.Text("bee")), groupBytes: 4096, compression: EstargzCompression.Zstd);
        var bytes = new byte[random.Length + 3];

        await content.ReadAsync(0, bytes, CancellationToken.None);

        Assert.Equal([.. random, .. "bee"u8.ToArray()], bytes);
        Assert.True(layout.Groups.Count > 1, $"{layout.Groups.Count} groups");
    }

    [RootOnlyFact]
    public Task ReadAsync_GzipMemberHoldingManyChunks_InflatesItOnce() => MemberHoldingManyChunksAsync(EstargzCompression.Gzip);

    [RootOnlyFact]
    public Task ReadAsync_ZstdFrameHoldingManyChunks_InflatesItOnce() => MemberHoldingManyChunksAsync(EstargzCompression.Zstd);

    private async Task MemberHoldingManyChunksAsync(EstargzCompression compression)
    {
        var big = new byte[64 * 1024];
        new Random(3).NextBytes(big);
        var (content, layout) = await ServeAsync(new EstargzBlobWriter(compression).FileInOneMember("big", big, chunkSize: 1024)
            .File("b", EstargzBlobWriter.Text("bee")), compression: compression);
        var bytes = new byte[big.Length];

        await content.ReadAsync(layout.Root.Children!["big"].DataOffset, bytes, CancellationToken.None);

        Assert.Equal(big, bytes);
        Assert.Equal(64, layout.Chunks.Count(c => c.Path == "big"));
        Assert.Equal(2, content.MemberInflations); // big's one member and b's (the same group), not one per chunk
        Assert.Equal(big.Length + 3, content.DecompressedBytes);
    }

    [RootOnlyFact]
    public async Task ReadAsync_StoredBytesFailTheirChunkDigest_ForgetsThemAndTheReadSucceedsOnRetry()
    {
        var text = Encoding.ASCII.GetBytes(new string('s', 3000));
        var path = _directory!.Combine("stored-" + Guid.NewGuid().ToString("N")[..8]);
        PartialBlob? blob = null;
        var (content, layout) = await ServeAsync(new EstargzBlobWriter().File("a", text, chunkSize: 1024).File("b", EstargzBlobWriter.Text("bee")),
            partial: size => blob = PartialBlob.Open(path, size));
        using var partial = blob!;
        var group = layout.Groups[0];
        var garbage = new byte[group.BlobEnd - group.BlobStart];
        new Random(9).NextBytes(garbage);
        partial.Write(group.BlobStart, garbage); // a bad disk or a torn write: recorded present, not the blob's bytes
        var bytes = new byte[text.Length];

        await content.ReadAsync(layout.Root.Children!["a"].DataOffset, bytes, CancellationToken.None);

        Assert.Equal(text, bytes);
        Assert.Equal(garbage.Length, content.ForgottenBytes);
        Assert.Equal(garbage.Length, content.FetchedBytes);
        var stored = new byte[garbage.Length];
        partial.Read(group.BlobStart, stored);
        Assert.NotEqual(garbage, stored); // the verified bytes replaced them
        Assert.True(partial.Contains(new ByteRange(group.BlobStart, garbage.Length)));
    }

    [RootOnlyFact]
    public async Task FindAsync_ZstdChunkedBlob_TocVerifiedAndDataEndsAtTocFrame()
    {
        var (blob, json, dataEnd) = new EstargzBlobWriter(EstargzCompression.Zstd).File("a", EstargzBlobWriter.Text("a")).Build();
        var (repository, descriptor) = await PushAsync(blob, MediaTypes.OciLayerZstd);
        var finder = new TocFinder(new OnDemandFetch(_client!, new FetchOptions()));

        var found = await finder.FindAsync(repository, descriptor, EstargzCompression.Zstd, OciDigest.Compute(json).ToString(), CancellationToken.None);

        Assert.Equal(json, found!.Json);
        Assert.Equal(dataEnd, found.DataEnd);
        Assert.Equal(EstargzCompression.Zstd, found.Compression);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            finder.FindAsync(repository, descriptor, EstargzCompression.Zstd, OciDigest.Compute("another TOC"u8).ToString(), CancellationToken.None));
        Assert.Contains("TOC's digest", error.Message, StringComparison.Ordinal);
        // A plain zstd layer (no footer) and an eStargz blob looked at as zstd: not this format.
        var (_, plainDescriptor) = await PushAsync(new ZstdSharp.Compressor(3).Wrap(new byte[4096]).ToArray(), MediaTypes.OciLayerZstd);
        Assert.Null(await finder.FindAsync(repository, plainDescriptor, EstargzCompression.Zstd, null, CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task FindAsync_TocDigestDiffers_Throws()
    {
        var (blob, _, _) = new EstargzBlobWriter().File("a", EstargzBlobWriter.Text("a")).Build();
        var (repository, descriptor) = await PushAsync(blob);
        var finder = new TocFinder(new OnDemandFetch(_client!, new FetchOptions()));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            finder.FindAsync(repository, descriptor, EstargzCompression.Gzip, OciDigest.Compute("another TOC"u8).ToString(), CancellationToken.None));
        Assert.Contains("TOC's digest", error.Message, StringComparison.Ordinal);
    }

    [RootOnlyFact]
    public async Task FindAsync_LegacyFooterAndGzipWithoutFooter_TocOrNull()
    {
        var (legacy, json, tocOffset) = new EstargzBlobWriter().File("a", EstargzBlobWriter.Text("a")).Build(legacyFooter: true);
        var (repository, legacyDescriptor) = await PushAsync(legacy);
        using var plain = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(plain, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(new byte[4096]);
        var (_, plainDescriptor) = await PushAsync(plain.ToArray());
        var finder = new TocFinder(new OnDemandFetch(_client!, new FetchOptions()));

        var found = await finder.FindAsync(repository, legacyDescriptor, EstargzCompression.Gzip, OciDigest.Compute(json).ToString(), CancellationToken.None);
        Assert.Equal(tocOffset, found!.DataEnd);
        Assert.Null(await finder.FindAsync(repository, plainDescriptor, EstargzCompression.Gzip, null, CancellationToken.None));
    }

    private async Task<(EstargzContent Content, EstargzLayout Layout)> ServeAsync(EstargzBlobWriter writer, long groupBytes = 1 << 20,
        EstargzCompression compression = EstargzCompression.Gzip, Func<long, PartialBlob>? partial = null)
    {
        var (blob, json, dataEnd) = writer.Build();
        var (repository, descriptor) = await PushAsync(blob, compression == EstargzCompression.Zstd ? MediaTypes.OciLayerZstd : MediaTypes.OciLayerGzip);
        var layout = EstargzLayout.Build(TocReader.Parse(json, null), dataEnd, userXattr: false, requireDigests: true, groupBytes);
        var stored = partial?.Invoke(blob.Length);
        var content = new EstargzContent(layout, new OnDemandFetch(_client!, new FetchOptions()), new SpanCache(16, 1 << 20), repository, descriptor,
            verify: true, readaheadGroups: 0, stored is null ? null : () => stored, compression: compression);
        return (content, layout);
    }

    private async Task<(ImageReference Repository, Descriptor Descriptor)> PushAsync(byte[] blob, string mediaType = MediaTypes.OciLayerGzip)
    {
        var repository = ImageReference.Parse(_registry!.Reference("test/blobs", "v1"));
        var descriptor = await _client!.PushBlobAsync(repository, blob, mediaType, CancellationToken.None);
        return (repository, descriptor);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }
}
