using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// The zTOCs of an image's index fetched at its first mount, against the loopback registry (root only: its storage is a
/// tmpfs): the later layers take theirs with no request of their own, their trees already built.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class ZtocSourceTests(SociImages images) : IDisposable
{
    private readonly RegistryClient _registry = new();

    [RootOnlyFact]
    public async Task TakeAsync_AfterPrefetch_NoRequestAndTheTreeBuiltAheadOnce()
    {
        var image = await DiscoverAsync();
        var ztocs = image.Index!.Ztocs.ToList();
        Assert.True(ztocs.Count >= 2);
        var source = new ZtocSource(_registry, ztoc => ZtocLayerEntries.BuildTree(ztoc, userXattr: false));

        source.Prefetch(image.Repository, image.Index, image.IndexDigest);
        await WaitUntilAsync(() => ztocs.All(z => source.IsReady(image.Repository, z)));
        var before = images.Registry.Log.Length;

        foreach (var descriptor in ztocs)
        {
            var fetched = await source.TakeAsync(image.Repository, descriptor, SociImages.Timeout);
            var tree = fetched.TakeTree();
            Assert.NotNull(tree);
            Assert.Null(fetched.TakeTree()); // one mount owns it: it applies its lowers' attributes to it
            var built = ZtocLayerEntries.BuildTree(fetched.Ztoc, userXattr: false);
            Assert.Equal(built.Children!.Keys.Order(StringComparer.Ordinal), tree.Children!.Keys.Order(StringComparer.Ordinal));
        }
        Assert.Equal(0, Requests(images.Registry.Log[before..], ztocs.Select(z => z.Digest)));
    }

    [RootOnlyFact]
    public async Task Prefetch_SecondMountOfTheSameIndex_FetchesNothingAgain()
    {
        var image = await DiscoverAsync();
        var ztocs = image.Index!.Ztocs.ToList();
        var source = new ZtocSource(_registry);
        source.Prefetch(image.Repository, image.Index, image.IndexDigest);
        await WaitUntilAsync(() => ztocs.All(z => source.IsReady(image.Repository, z)));
        var first = await source.TakeAsync(image.Repository, ztocs[0], SociImages.Timeout);
        var before = images.Registry.Log.Length;

        source.Prefetch(image.Repository, image.Index, image.IndexDigest); // the next layer's mount: once per index
        foreach (var descriptor in ztocs.Skip(1)) await source.TakeAsync(image.Repository, descriptor, SociImages.Timeout);

        Assert.Null(first.TakeTree()); // no tree builder: nothing built ahead
        Assert.Equal(0, Requests(images.Registry.Log[before..], ztocs.Select(z => z.Digest)));
    }

    [RootOnlyFact]
    public async Task Prefetch_WithTheMountingLayersZtoc_FetchesItBeforeAnyOther()
    {
        var image = await DiscoverAsync();
        var ztocs = image.Index!.Ztocs.ToList();
        Assert.True(ztocs.Count >= 2);
        var mounting = ztocs[^1]; // the index's last: a prefetch in index order would ask for it last
        var source = new ZtocSource(_registry);
        var before = images.Registry.Log.Length;

        source.Prefetch(image.Repository, image.Index, image.IndexDigest, first: mounting);
        await WaitUntilAsync(() => ztocs.All(z => source.IsReady(image.Repository, z)));

        var log = images.Registry.Log[before..];
        var firstRequest = log.IndexOf(mounting.Digest, StringComparison.Ordinal);
        Assert.True(firstRequest >= 0);
        Assert.All(ztocs.Take(ztocs.Count - 1), other => Assert.True(log.IndexOf(other.Digest, StringComparison.Ordinal) > firstRequest,
            $"zTOC {other.Digest} was asked for before the mounting layer's"));
    }

    [RootOnlyFact]
    public async Task Prefetch_MountingLayerTakesItsZtocAtOnce_NoZtocIsFetchedTwice()
    {
        var image = await DiscoverAsync();
        var ztocs = image.Index!.Ztocs.ToList();
        var source = new ZtocSource(_registry);
        var before = images.Registry.Log.Length;

        // The mount takes its zTOC (and forgets it) as soon as it is there, before the others start.
        source.Prefetch(image.Repository, image.Index, image.IndexDigest, first: ztocs[0]);
        await source.TakeAsync(image.Repository, ztocs[0], SociImages.Timeout);
        await WaitUntilAsync(() => ztocs.Skip(1).All(z => source.IsReady(image.Repository, z)));
        await Task.Delay(200); // a second fetch of the first would start with the others

        var log = images.Registry.Log[before..];
        Assert.All(ztocs, z => Assert.Equal(1, RegistryTraffic.BlobRequests(log, z.Digest)));
    }

    private async Task<DiscoveredIndex> DiscoverAsync()
    {
        var finder = new SociIndexFinder(_registry, new ImageCatalog(_registry), new SociPullModes());
        var image = await finder.FindAsync(ImageReference.Parse(images.Converted), null, null, SociImages.Timeout);
        Assert.NotNull(image.Index);
        return image;
    }

    /// <summary>Blob GETs the registry logged for <paramref name="digests"/>.</summary>
    private static int Requests(string log, IEnumerable<string> digests) => digests.Sum(d => RegistryTraffic.BlobRequests(log, d));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _registry.Dispose();
}
