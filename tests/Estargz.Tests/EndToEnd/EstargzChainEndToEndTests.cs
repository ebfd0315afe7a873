using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// ctr-remote rpull through a real containerd 1.6 into our daemon with the chain [soci, estargz, local] (root only):
/// eStargz images made by ctr-remote are served lazily by the estargz backend over FUSE, and what the container sees is
/// what containerd's overlayfs pull of the original image holds, byte for byte, mode for mode.
/// </summary>
[Collection(EstargzImagesCollection.Name)]
public sealed class EstargzChainEndToEndTests(EstargzImages images)
{
    private const string NoFill = "{ background_fill: { enable: false } }";

    [RootOnlyFact]
    public async Task Rpull_EstargzImage_LayersLazyOverFuseAndRootfsMatchesOverlayfsOfOriginal()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("plain"), ct, NoFill);
        var layers = await LayersOfAsync(images.Estargz, ct);
        var before = images.Registry.Log.Length;

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);

        AssertServedBy(await node.CommittedLabelsAsync(ct), layers, "estargz", node);
        Assert.Equal(layers.Count, node.FuseMounts("estargz").Count);
        var layerBytes = layers.Sum(l => l.Size);
        var served = RegistryTraffic.BlobBytes(images.Registry.Log[before..], [.. layers.Select(l => l.Digest)]);
        Assert.True(served < layerBytes / 2, $"the registry served {served} of {layerBytes} layer bytes before any file was read");
        var content = (await node.Containerd.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        Assert.DoesNotContain(layers, l => content.Contains(l.Digest, StringComparison.Ordinal));

        var output = await node.Containerd.RunContainerAsync(images.Estargz, EstargzNode.Snapshotter, ["cat", "/data/opaque/visible", "/data/replaced"], ct);
        Assert.Equal("upper\nnew content, longer than before\n", output);

        await AssertRootfsMatchesOriginalAsync(node, ct);
        var servedAfterReading = RegistryTraffic.BlobBytes(images.Registry.Log[before..], [.. layers.Select(l => l.Digest)]);
        Assert.True(servedAfterReading > served, $"no layer bytes were served while the files were read ({served} before, {servedAfterReading} after)");
    }

    [RootOnlyFact]
    public async Task Rpull_ZstdChunkedImage_LayersLazyOverFuseAndRootfsMatchesOverlayfsOfOriginal()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("zstdchunked"), ct, NoFill);
        var layers = await LayersOfAsync(images.ZstdChunked, ct);
        Assert.All(layers, l => Assert.Equal(MediaTypes.OciLayerZstd, l.MediaType));
        var before = images.Registry.Log.Length;

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.ZstdChunked], ct);

        AssertServedBy(await node.CommittedLabelsAsync(ct), layers, "estargz", node);
        Assert.Equal(layers.Count, node.FuseMounts("estargz").Count);
        var layerBytes = layers.Sum(l => l.Size);
        var served = RegistryTraffic.BlobBytes(images.Registry.Log[before..], [.. layers.Select(l => l.Digest)]);
        Assert.True(served < layerBytes / 2, $"the registry served {served} of {layerBytes} layer bytes before any file was read");
        var content = (await node.Containerd.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        Assert.DoesNotContain(layers, l => content.Contains(l.Digest, StringComparison.Ordinal));

        var output = await node.Containerd.RunContainerAsync(images.ZstdChunked, EstargzNode.Snapshotter, ["cat", "/data/opaque/visible", "/data/replaced"], ct);
        Assert.Equal("upper\nnew content, longer than before\n", output);
        await AssertRootfsMatchesOriginalAsync(node, ct);
    }

    [RootOnlyFact]
    public async Task BackgroundFill_ZstdChunkedImage_LayersGoLocalAndRootfsStillMatches()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("zstdchunked-fill"), ct, "{ background_fill: { delay_ms: 0 } }");
        var layers = await LayersOfAsync(images.ZstdChunked, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.ZstdChunked], ct);
        await node.WaitForLocalAsync(layers.Select(l => l.Digest), ct);

        await AssertRootfsMatchesOriginalAsync(node, ct);
    }

    [RootOnlyFact]
    public async Task Rpull_EstargzImage_LaterLayersTocsPrefetchedSoTheirPreparesRequestNothing()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("toc-prefetch"), ct, NoFill);
        var layers = await LayersOfAsync(images.Estargz, ct);
        Assert.True(layers.Count >= 3, $"{layers.Count} layers");
        var before = images.Registry.Log.Length;

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);

        AssertServedBy(await node.CommittedLabelsAsync(ct), layers, "estargz", node);
        // Each layer's footer and TOC came with one request: the later layers' from the prefetch their Prepares took.
        var log = images.Registry.Log[before..];
        foreach (var layer in layers)
        {
            Assert.True(RegistryTraffic.BlobRequests(log, layer.Digest) == 1, $"{layer.Digest}: {RegistryTraffic.BlobRequests(log, layer.Digest)} requests\n{node.Describe()}");
        }
        var prefetched = node.Daemon.Log.Split('\n').Count(l => l.Contains("TOC", StringComparison.Ordinal) && l.Contains("(prefetched)", StringComparison.Ordinal));
        Assert.True(prefetched == layers.Count - 1, $"{prefetched} layers mounted with a prefetched TOC\n{node.Describe()}");
    }

    [RootOnlyFact]
    public async Task Rpull_OptimizedImage_LandmarkSectionPrefetchedAndRootfsMatches()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("optimized"), ct, NoFill);
        var layers = await LayersOfAsync(images.Optimized, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Optimized], ct);

        AssertServedBy(await node.CommittedLabelsAsync(ct), layers, "estargz", node);
        Assert.True(await node.Daemon.WaitForLogAsync("Prefetched", ct), node.Describe());
        var output = await node.Containerd.RunContainerAsync(images.Optimized, EstargzNode.Snapshotter, EstargzImages.OptimizedWorkload[..], ct);
        Assert.Equal("deep\ng\n", output);
        await AssertRootfsMatchesOriginalAsync(node, ct);
    }

    [RootOnlyFact]
    public async Task Rpull_SociAndEstargzImagesSideBySide_EachLayerLabelledWithTheBackendThatServedIt()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("side-by-side"), ct, NoFill);
        var sociLayers = await LayersOfAsync(images.Soci, ct);
        var estargzLayers = await LayersOfAsync(images.Estargz, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Soci], ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);

        var committed = await node.CommittedLabelsAsync(ct);
        Assert.Equal(sociLayers.Count + estargzLayers.Count, committed.Count);
        var byBackend = committed.Values.GroupBy(l => l.GetValueOrDefault(SnapshotLabels.Backend) ?? "none").ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byBackend.GetValueOrDefault("soci") == sociLayers.Count && byBackend.GetValueOrDefault("estargz") == estargzLayers.Count,
            $"{string.Join(", ", byBackend)}\n{node.Describe()}");
        Assert.All(committed.Values, l => Assert.Equal("lazy", l.GetValueOrDefault(SnapshotLabels.BackendRole)));
        Assert.Equal(sociLayers.Count, node.FuseMounts("soci").Count);
        Assert.Equal(estargzLayers.Count, node.FuseMounts("estargz").Count);
        foreach (var image in new[] { images.Soci, images.Estargz })
        {
            var output = await node.Containerd.RunContainerAsync(image, EstargzNode.Snapshotter, ["cat", "/data/nested/deeper/file"], ct);
            Assert.Equal("deep\n", output);
        }
    }

    [RootOnlyFact]
    public async Task Rpull_TocDigestDiffers_LayerGoesToTheNextBackendAndImageRuns()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("wrong-toc"), ct, NoFill);
        var layers = await LayersOfAsync(images.WrongTocDigest, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.WrongTocDigest], ct);

        var committed = await node.CommittedLabelsAsync(ct);
        var backends = committed.Values.Select(l => $"{l.GetValueOrDefault(SnapshotLabels.Backend)}/{l.GetValueOrDefault(SnapshotLabels.BackendRole)}").Order().ToList();
        Assert.True(backends.SequenceEqual(Enumerable.Repeat("estargz/lazy", layers.Count - 1).Append("local/local").Order()),
            $"{string.Join(", ", backends)}\n{node.Describe()}");
        Assert.Equal(layers.Count - 1, node.FuseMounts("estargz").Count);
        Assert.True(await node.Daemon.WaitForLogAsync("TOC's digest is", ct), node.Describe());
        var output = await node.Containerd.RunContainerAsync(images.WrongTocDigest, EstargzNode.Snapshotter, ["cat", "/data/added-on-top"], ct);
        Assert.Equal("top\n", output);
    }

    [RootOnlyFact]
    public async Task BackgroundFill_EstargzImage_LayersGoLocalAndRootfsStillMatches()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("fill"), ct, "{ background_fill: { delay_ms: 0 } }");
        var layers = await LayersOfAsync(images.Estargz, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);
        await node.WaitForLocalAsync(layers.Select(l => l.Digest), ct);
        Assert.True(await node.Daemon.WaitForLogAsync("is local at", ct), node.Describe());

        foreach (var layer in layers)
        {
            var fs = Path.Combine(node.StoreDirectory, layer.Digest.Replace(':', '-'), "fs");
            Assert.False(File.Exists(Path.Combine(fs, "stargz.index.json")), $"the TOC entry was left in the local copy of {layer.Digest}");
        }
        await AssertRootfsMatchesOriginalAsync(node, ct);
    }

    [RootOnlyFact]
    public async Task DaemonRestart_EstargzLayers_AreMountedAgainAndContainerRuns()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("restart"), ct, NoFill);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);
        var mounted = node.FuseMounts("estargz").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(mounted);
        var before = await node.ListRootfsAsync(EstargzNode.Snapshotter, ct);

        await node.Daemon.RestartAsync(ct);
        await node.WaitForProxyAsync(ct);

        Assert.Equal(mounted, node.FuseMounts("estargz").Order(StringComparer.Ordinal));
        var differences = RootfsListing.Compare(before, await node.ListRootfsAsync(EstargzNode.Snapshotter, ct));
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        var output = await node.Containerd.RunContainerAsync(images.Estargz, EstargzNode.Snapshotter, ["cat", "/data/nested/deeper/file"], ct);
        Assert.Equal("deep\n", output);
        Assert.True(node.Daemon.IsRunning, node.Describe());
    }

    private async Task AssertRootfsMatchesOriginalAsync(LazyNode node, CancellationToken ct)
    {
        var ours = await node.ListRootfsAsync(EstargzNode.Snapshotter, ct);
        await node.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", images.Original], ct);
        var theirs = await node.ListRootfsAsync("overlayfs", ct);
        var differences = RootfsListing.Compare(theirs, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        Assert.Contains(ours, e => e.Path == "/data/hardlink" && e.LinkCount == 2);
        Assert.Contains(ours, e => e.Path == "/data/with-xattr" && e.Xattrs.Contains("user.pluggable.test", StringComparison.Ordinal));
        Assert.DoesNotContain(ours, e => e.Path is "/stargz.index.json" or "/.prefetch.landmark" or "/.no.prefetch.landmark");
    }

    private static void AssertServedBy(Dictionary<string, Dictionary<string, string>> committed, IReadOnlyList<Descriptor> layers, string backend, LazyNode node)
    {
        Assert.Equal(layers.Count, committed.Count);
        foreach (var (name, labels) in committed)
        {
            Assert.True(labels.GetValueOrDefault(SnapshotLabels.BackendRole) == "lazy" && labels.GetValueOrDefault(SnapshotLabels.Backend) == backend,
                $"snapshot {name}: {string.Join(", ", labels)}\n{node.Describe()}");
        }
    }

    private static async Task<IReadOnlyList<Descriptor>> LayersOfAsync(string image, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        return (await registry.ResolveAsync(ImageReference.Parse(image), null, ct)).Manifest.Layers;
    }
}
