using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>On-demand reads against the loopback registry: spans are verified before a byte is served (root only: the registry fixture).</summary>
[Collection(SociImagesCollection.Name)]
public sealed class LayerContentTests(SociImages images)
{
    [RootOnlyFact]
    public async Task ReadAsync_IntactSpans_ReturnsTheFileAndFetchesOnlyWhatItNeeds()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        var content = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse(images.Converted), layer, ztoc, new SpanCache(4, long.MaxValue), readaheadSpans: 0);
        var file = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(ztoc, userXattr: false), ["data", "nested", "deeper", "file"])!;

        var bytes = new byte[file.Size];
        await content.ReadAsync(file.DataOffset, bytes, ct);

        Assert.Equal("deep\n"u8.ToArray(), bytes);
        Assert.InRange(content.FetchedBytes, 1, layer.Size - 1);
    }

    [RootOnlyFact]
    public async Task ReadAsync_TwoZtocsOfOneLayerWithOtherSpans_ShareACacheYetEachReadsItsOwnSpans()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        var repository = ImageReference.Parse(images.Converted);
        await using var blob = new MemoryStream(await registry.GetBlobAsync(repository, layer, 1 << 26, ct));
        var finer = await ZtocBuilder.BuildAsync(blob, LayerCompression.Gzip, new ZtocBuildOptions { SpanSize = 16 * 1024 }, ct);
        Assert.True(finer.CompressionInfo.MaxSpanId > ztoc.CompressionInfo.MaxSpanId); // the same layer cut finer
        var cache = new SpanCache(64, long.MaxValue);
        var coarse = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), repository, layer, ztoc, cache, readaheadSpans: 0);
        var fine = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), repository, layer, finer, cache, readaheadSpans: 0);
        var file = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(ztoc, userXattr: false), ["data", "big"])!;

        var viaFine = new byte[file.Size];
        await fine.ReadAsync(file.DataOffset, viaFine, ct); // the cache now holds the fine spans
        var viaCoarse = new byte[file.Size];
        await coarse.ReadAsync(file.DataOffset, viaCoarse, ct);

        Assert.Equal(viaFine, viaCoarse);
        Assert.True(coarse.SpansDecompressed > 0); // not served another zTOC's span 0
    }

    [RootOnlyFact]
    public async Task ReadAsync_SpanDigestDisagrees_ThrowsInvalidDataAndTheFileAnswersEio()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        var wrong = "sha256:" + new string('0', 64);
        var tampered = ztoc with
        {
            CompressionInfo = ztoc.CompressionInfo with { SpanDigests = [.. ztoc.CompressionInfo.SpanDigests.Select(_ => wrong)] },
        };
        var content = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse(images.Converted), layer, tampered, new SpanCache(4, long.MaxValue), readaheadSpans: 0);
        var inode = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(tampered, userXattr: false), ["data", "big"])!;

        await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(inode.DataOffset, new byte[16], ct));
        var node = new LayerFileNode(inode, OwnerMapping.Identity, content, "data/big", NullLogger.Instance);
        var read = await node.ReadAsync(0, new byte[4096], ct);

        Assert.Equal(Errno.EIO, read.Error);
    }

    [RootOnlyFact]
    public async Task ReadAsync_SpansKeptByAnEarlierReader_AreReadFromThePartialBlobWithoutARequest()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        using var partial = PartialBlob.Open(images.Directory.Combine("kept-" + Guid.NewGuid().ToString("N")[..8]), layer.Size);
        var file = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(ztoc, userXattr: false), ["data", "big"])!;
        var first = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse(images.Converted), layer, ztoc, new SpanCache(4, long.MaxValue), readaheadSpans: 0, () => partial);
        var expected = new byte[file.Size];
        await first.ReadAsync(file.DataOffset, expected, ct);

        var second = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse(images.Converted), layer, ztoc, new SpanCache(4, long.MaxValue), readaheadSpans: 0, () => partial);
        var again = new byte[file.Size];
        await second.ReadAsync(file.DataOffset, again, ct);

        Assert.Equal(first.FetchedBytes, partial.BytesPresent);
        Assert.Equal(0, second.FetchedBytes);
        Assert.Equal(expected, again);
    }

    [RootOnlyFact]
    public async Task ReadAsync_SpanDigestDisagrees_KeepsNoByteInThePartialBlob()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        var tampered = ztoc with
        {
            CompressionInfo = ztoc.CompressionInfo with { SpanDigests = [.. ztoc.CompressionInfo.SpanDigests.Select(_ => "sha256:" + new string('0', 64))] },
        };
        using var partial = PartialBlob.Open(images.Directory.Combine("wrong-" + Guid.NewGuid().ToString("N")[..8]), layer.Size);
        var content = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse(images.Converted), layer, tampered, new SpanCache(4, long.MaxValue), readaheadSpans: 0, () => partial);
        var inode = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(tampered, userXattr: false), ["data", "big"])!;

        await Assert.ThrowsAsync<InvalidDataException>(() => content.ReadAsync(inode.DataOffset, new byte[16], ct));

        Assert.True(content.FetchedBytes > 0);
        Assert.Equal(0, partial.BytesPresent);
    }

    /// <summary>The converted image's second layer (the one with /data) and its zTOC, found through the v2 index.</summary>
    private async Task<(Descriptor Layer, Ztoc Ztoc)> DataLayerAsync(RegistryClient registry, CancellationToken ct)
    {
        var reference = ImageReference.Parse(images.Converted);
        var image = (await registry.ResolveAsync(reference, null, ct)).Manifest;
        var soci = SociIndexManifest.Parse((await registry.GetManifestAsync(reference.WithSelector(image.Annotations![SociAnnotations.IndexDigest]), ct)).Bytes);
        var layer = image.Layers[1];
        var ztocDescriptor = soci.ZtocFor(layer.Digest)!;
        var bytes = await registry.GetBlobAsync(reference, new Descriptor { MediaType = ztocDescriptor.MediaType, Digest = ztocDescriptor.Digest, Size = ztocDescriptor.Size }, 1 << 24, ct);
        return (layer, ZtocSerializer.Deserialize(bytes));
    }
}
