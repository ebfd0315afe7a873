using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// Reads through the layer's decompressed spans on disk (root only: the registry fixture): a span is decompressed once
/// per layer however small the span cache (at most twice where only spans read again are kept), the spans serve after a
/// restart with no registry, and bytes changed on disk are never served.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class DecompressedReadTests(SociImages images)
{
    /// <summary>Nothing listens here: a fetch from it fails (within the short deadline below).</summary>
    private const string NoRegistry = "127.0.0.1:9/test/layered:soci";

    [RootOnlyFact]
    public async Task ReadAsync_EveryFileReadTwiceWithAOneSpanCache_DecompressesEachSpanOnce()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc, _, partial, spans, files) = await FreshFolderAsync(registry, "once", ct);
        var kept = Content(registry, images.Converted, layer, ztoc, partial, spans);
        var plain = Content(registry, images.Converted, layer, ztoc, partial, null);

        var first = await ReadAllAsync(kept, files, ct);
        var second = await ReadAllAsync(kept, files, ct);
        await ReadAllAsync(plain, files, ct);
        await ReadAllAsync(plain, files, ct);

        Assert.Equal(first, second);
        Assert.Equal(1, kept.MaxDecompressionsOfASpan);
        Assert.True(kept.DiskReadBytes > 0);
        Assert.True(plain.MaxDecompressionsOfASpan > 1, "without kept spans a one-span cache decompresses spans again (the baseline)");
        partial.Close(delete: true);
        spans.Close(delete: true);
    }

    [RootOnlyFact]
    public async Task ReadAsync_EveryFileReadThriceNotKeepingEverySpan_KeepsTheSpansReadAgainAndDecompressesNoneAThirdTime()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc, _, partial, spans, files) = await FreshFolderAsync(registry, "again", ct);
        var content = Content(registry, images.Converted, layer, ztoc, partial, spans, keepsEverySpan: false);

        var first = await ReadAllAsync(content, files, ct);
        var second = await ReadAllAsync(content, files, ct);
        await UntilWrittenAsync(spans, ct);
        var decompressed = content.SpansDecompressed;
        var third = await ReadAllAsync(content, files, ct);

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Equal(2, content.MaxDecompressionsOfASpan); // a one-span cache and files back and forth: read again, kept
        Assert.Equal(decompressed, content.SpansDecompressed);
        Assert.True(content.DiskReadBytes > 0);
        partial.Close(delete: true);
        spans.Close(delete: true);
    }

    [RootOnlyFact]
    public async Task ReadAsync_FilesInTarOrderNotKeepingEverySpan_WritesNoSpan()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc, _, partial, spans, files) = await FreshFolderAsync(registry, "inorder", ct);
        var content = Content(registry, images.Converted, layer, ztoc, partial, spans, keepsEverySpan: false);

        await ReadAllAsync(content, [.. files.OrderBy(f => f.DataOffset)], ct);
        await Task.Delay(200, ct); // a write would start right after its span's decompression

        Assert.Equal(1, content.MaxDecompressionsOfASpan);
        Assert.Equal(0, spans.BytesPresent);
        Assert.Equal(0, content.DiskReadBytes);
        partial.Close(delete: true);
        spans.Close(delete: true);
    }

    [RootOnlyTheory]
    [InlineData(true)]
    [InlineData(false)] // a fill running: spans written by an earlier run are read all the same
    public async Task ReadAsync_AfterARestartWithNoRegistry_ServesFromTheDecompressedSpansWithoutDecompressing(bool keepsEverySpan)
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc, folder, files, expected) = await ReadOnceAndCloseAsync(registry, "restart", ct);

        var (partial, spans) = Open(folder, layer, ztoc);
        var offline = Content(registry, NoRegistry, layer, ztoc, partial, spans, keepsEverySpan, spansOnDisk: true);
        var again = await ReadAllAsync(offline, files, ct);

        Assert.Equal(expected, again);
        Assert.Equal(0, offline.FetchedBytes);
        Assert.Equal(0, offline.SpansDecompressed);
        partial.Close(delete: true);
        spans.Close(delete: true);
    }

    [RootOnlyFact]
    public async Task ReadAsync_DecompressedSpansChangedOnDisk_ServesTheRightBytesDecompressedAgain()
    {
        var ct = SociImages.Timeout;
        using var registry = new RegistryClient();
        var (layer, ztoc, folder, files, expected) = await ReadOnceAndCloseAsync(registry, "changed", ct);
        var big = files.MaxBy(f => f.Size)!;
        await using (var file = File.OpenWrite(Path.Combine(folder, "tar.partial")))
        {
            file.Position = big.DataOffset + (big.Size / 2);
            file.WriteByte((byte)~expected[files.IndexOf(big)][big.Size / 2]);
        }

        var (partial, spans) = Open(folder, layer, ztoc);
        var offline = Content(registry, NoRegistry, layer, ztoc, partial, spans, spansOnDisk: true); // a restart: the store says it holds spans
        var again = await ReadAllAsync(offline, files, ct);

        Assert.Equal(expected, again);
        Assert.Equal(1, offline.SpansDecompressed); // the changed span, from the partial blob
        Assert.Equal(0, offline.FetchedBytes);
        partial.Close(delete: true);
        spans.Close(delete: true);
    }

    /// <summary>Reads every file of the data layer once into a new store folder, then closes the folder's files as a stopping daemon does.</summary>
    private async Task<(Descriptor Layer, Ztoc Ztoc, string Folder, List<LayerInode> Files, List<byte[]> Expected)> ReadOnceAndCloseAsync(
        RegistryClient registry, string purpose, CancellationToken ct)
    {
        var (layer, ztoc, folder, partial, spans, files) = await FreshFolderAsync(registry, purpose, ct);
        var expected = await ReadAllAsync(Content(registry, images.Converted, layer, ztoc, partial, spans), files, ct);
        await UntilWrittenAsync(spans, ct);
        partial.Close(delete: false);
        spans.Close(delete: false);
        return (layer, ztoc, folder, files, expected);
    }

    /// <summary>The data layer, with its partial blob and decompressed spans opened in a new store folder named after <paramref name="purpose"/>.</summary>
    private async Task<(Descriptor Layer, Ztoc Ztoc, string Folder, PartialBlob Partial, DecompressedSpans Spans, List<LayerInode> Files)> FreshFolderAsync(
        RegistryClient registry, string purpose, CancellationToken ct)
    {
        var (layer, ztoc) = await DataLayerAsync(registry, ct);
        var folder = images.Directory.Combine(purpose + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var (partial, spans) = Open(folder, layer, ztoc);
        return (layer, ztoc, folder, partial, spans, RegularFiles(ztoc));
    }

    // A span is written to disk just after its first reader got it: wait until the last writes landed before closing,
    // as a daemon's stop would find them long done.
    private static async Task UntilWrittenAsync(DecompressedSpans spans, CancellationToken ct)
    {
        for (var (last, stable) = (-1L, 0); stable < 4; stable = spans.BytesPresent == last ? stable + 1 : 0)
        {
            last = spans.BytesPresent;
            await Task.Delay(50, ct);
        }
    }

    private static (PartialBlob Partial, DecompressedSpans Spans) Open(string folder, Descriptor layer, Ztoc ztoc) =>
        (PartialBlob.Open(Path.Combine(folder, "blob.partial"), layer.Size),
         DecompressedSpans.Open(Path.Combine(folder, "tar.partial"), ztoc.UncompressedArchiveSize, ztoc.CompressionInfo.MaxSpanId + 1, LayerContent.SpanLayout(ztoc), _ => true));

    private static LayerContent Content(RegistryClient registry, string reference, Descriptor layer, Ztoc ztoc, PartialBlob partial, DecompressedSpans? spans,
        bool keepsEverySpan = true, bool spansOnDisk = false) =>
        new(new OnDemandFetch(registry, new FetchOptions { AttemptTimeoutMilliseconds = 500, TimeoutMilliseconds = 1000 }), ImageReference.Parse(reference), layer, ztoc,
            new SpanCache(1, long.MaxValue), readaheadSpans: 0, () => partial, spans is null ? null : () => spans, keepsEverySpan: () => keepsEverySpan,
            spansOnDisk: spansOnDisk);

    private static async Task<List<byte[]>> ReadAllAsync(LayerContent content, List<LayerInode> files, CancellationToken ct)
    {
        var all = new List<byte[]>();
        foreach (var file in files)
        {
            var bytes = new byte[file.Size];
            await content.ReadAsync(file.DataOffset, bytes, ct);
            all.Add(bytes);
        }
        return all;
    }

    /// <summary>The layer's regular files, in an order that goes back and forth between spans (largest last, smallest first).</summary>
    private static List<LayerInode> RegularFiles(Ztoc ztoc)
    {
        var files = new List<LayerInode>();
        void Walk(LayerInode node)
        {
            foreach (var child in node.Children?.Values ?? Enumerable.Empty<LayerInode>())
            {
                if (child.Type == LayerInodeType.Regular && child.Size > 0 && !files.Contains(child)) files.Add(child);
                Walk(child);
            }
        }
        Walk(ZtocLayerEntries.BuildTree(ztoc, userXattr: false));
        return [.. files.OrderByDescending(f => f.DataOffset % 3).ThenBy(f => f.DataOffset)];
    }

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
