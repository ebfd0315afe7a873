using System.Text;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Estargz.Content;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
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
    public async Task FindAsync_TocDigestDiffers_Throws()
    {
        var (blob, _, _) = new EstargzBlobWriter().File("a", EstargzBlobWriter.Text("a")).Build();
        var (repository, descriptor) = await PushAsync(blob);
        var finder = new TocFinder(new OnDemandFetch(_client!, new FetchOptions()));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            finder.FindAsync(repository, descriptor, OciDigest.Compute("another TOC"u8).ToString(), CancellationToken.None));
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

        var found = await finder.FindAsync(repository, legacyDescriptor, OciDigest.Compute(json).ToString(), CancellationToken.None);
        Assert.Equal(tocOffset, found!.TocOffset);
        Assert.Null(await finder.FindAsync(repository, plainDescriptor, null, CancellationToken.None));
    }

    private async Task<(EstargzContent Content, EstargzLayout Layout)> ServeAsync(EstargzBlobWriter writer, long groupBytes = 1 << 20)
    {
        var (blob, json, tocOffset) = writer.Build();
        var (repository, descriptor) = await PushAsync(blob);
        var layout = EstargzLayout.Build(TocReader.Parse(json, null), tocOffset, userXattr: false, requireDigests: true, groupBytes);
        var content = new EstargzContent(layout, new OnDemandFetch(_client!, new FetchOptions()), new SpanCache(16, 1 << 20), repository, descriptor,
            verify: true, readaheadGroups: 0);
        return (content, layout);
    }

    private async Task<(ImageReference Repository, Descriptor Descriptor)> PushAsync(byte[] blob)
    {
        var repository = ImageReference.Parse(_registry!.Reference("test/blobs", "v1"));
        var descriptor = await _client!.PushBlobAsync(repository, blob, MediaTypes.OciLayerGzip, CancellationToken.None);
        return (repository, descriptor);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }
}
