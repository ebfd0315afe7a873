using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// The spans of /etc/passwd and /etc/group are fetched right after a layer mounts, before anything reads them, and a
/// read then needs no request; a layer without them fetches nothing at its mount (root only: real FUSE mounts and the
/// loopback registry, whose log counts the bytes it served).
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class StartupFilePrefetchTests(SociImages images) : BackendTestRoot(images, "startup")
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    private const string Group = "root:x:0:\nnogroup:x:65534:\n";
    private const int BusyboxLayer = 0; // holds /etc/passwd and /etc/group, after the busybox binary
    private const int DataLayer = 1; // only /data

    [RootOnlyFact]
    public async Task MountAsync_LayerWithEtcPasswd_FetchesItsSpansBeforeAnyReadAndTheReadFetchesNothing()
    {
        var ct = SociImages.Timeout;
        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), Path.Combine(Root, "state"));
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, BusyboxLayer, Root, ct);
        var size = await LayerRequests.SizeAsync(Registry, layer, ct);
        var before = Images.Registry.Log.Length;

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        var prefetched = await ServedOnceSettledAsync(before, layer.LayerDigest!, atLeast: 1, ct);

        Assert.InRange(prefetched, 1, 3 * SociImages.SpanSize); // the span (or two) holding both files, not the layer
        Assert.True(prefetched < size / 4, $"{prefetched} of {size} bytes fetched at mount");
        Assert.Equal(Passwd, await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "etc/passwd"), ct));
        Assert.Equal(Group, await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "etc/group"), ct));
        await Task.Delay(500, ct); // the registry logs after it answers: a fetch for the reads would show by now
        Assert.Equal(prefetched, RegistryTraffic.BlobBytes(Images.Registry.Log[before..], [layer.LayerDigest!]));
    }

    [RootOnlyFact]
    public async Task MountAsync_FromAPartialLayerWithNothingFetched_FetchesTheStartupFileSpansBeforeAnyRead()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-partial");
        var (descriptor, ztocDigest, ztocBytes, _) = await BusyboxLayerAsync(ct);
        // What an earlier run leaves of a layer it mounted and read nothing of: its record and zTOC, no byte of the blob.
        var earlier = new LayerStore(state, new StoreOptions());
        earlier.Attach(descriptor.Digest, "/earlier/run/fs", descriptor.Size, "img", null);
        earlier.RecordPartial(descriptor.Digest, descriptor.MediaType, ztocDigest, ztocBytes, []);
        Assert.Equal(0, earlier.Partial(descriptor.Digest)!.BytesPresent); // its (empty) partial blob
        earlier.ClosePartials();
        var logger = new EventIdLogger<SociFileSystem>();
        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), state, logger: logger);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, BusyboxLayer, Root, ct);
        var before = Images.Registry.Log.Length;

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        var prefetched = await ServedOnceSettledAsync(before, layer.LayerDigest!, atLeast: 1, ct);

        Assert.True(logger.EventIds.Contains(3008), $"not mounted from the stored zTOC: events {string.Join(",", logger.EventIds)}; store: {string.Join(",", Directory.EnumerateFileSystemEntries(Path.Combine(state, "store"), "*", SearchOption.AllDirectories))}");
        Assert.InRange(prefetched, 1, 3 * SociImages.SpanSize);
        Assert.Equal(Passwd, await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "etc/passwd"), ct));
        await Task.Delay(500, ct);
        Assert.Equal(prefetched, RegistryTraffic.BlobBytes(Images.Registry.Log[before..], [layer.LayerDigest!]));
    }

    [RootOnlyFact]
    public async Task MountAsync_LayerWithoutEtc_FetchesNoByteOfIt()
    {
        var ct = SociImages.Timeout;
        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), Path.Combine(Root, "state-no-etc"));
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, DataLayer, Root, ct);
        var before = Images.Registry.Log.Length;

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        await Task.Delay(1000, ct);

        Assert.Equal(0, RegistryTraffic.BlobBytes(Images.Registry.Log[before..], [layer.LayerDigest!]));
        Assert.True(Directory.Exists(Path.Combine(layer.Mountpoint, "data")));
    }

    [RootOnlyFact]
    public async Task Prefetch_PasswdSpans_FetchedOnceWithoutWaitingAndAReadFetchesNothing()
    {
        var ct = SociImages.Timeout;
        var (layer, _, _, ztoc) = await BusyboxLayerAsync(ct);
        var content = new LayerContent(new OnDemandFetch(Registry, new FetchOptions()), ImageReference.Parse(Images.Converted), layer, ztoc, new SpanCache(4, long.MaxValue), readaheadSpans: 0);
        var passwd = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(ztoc, userXattr: false), ["etc", "passwd"])!;

        content.Prefetch(passwd.DataOffset, passwd.Size);
        for (var waited = 0; content.FetchedBytes == 0 && waited < 100; waited++) await Task.Delay(100, ct);
        long fetched;
        do
        {
            fetched = content.FetchedBytes;
            await Task.Delay(300, ct); // a second span (a file across a span boundary) may still be arriving
        }
        while (content.FetchedBytes != fetched);
        content.Prefetch(passwd.DataOffset, passwd.Size); // held already: nothing more
        var bytes = new byte[passwd.Size];
        await content.ReadAsync(passwd.DataOffset, bytes, ct);

        Assert.InRange(fetched, 1, 2 * SociImages.SpanSize);
        Assert.Equal(fetched, content.FetchedBytes);
        Assert.Equal(Passwd, System.Text.Encoding.ASCII.GetString(bytes));
    }

    /// <summary>Bytes the registry served for <paramref name="digest"/> since log offset <paramref name="from"/>, once at least <paramref name="atLeast"/> and settled.</summary>
    private async Task<long> ServedOnceSettledAsync(int from, string digest, long atLeast, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (RegistryTraffic.BlobBytes(Images.Registry.Log[from..], [digest]) < atLeast && DateTime.UtcNow < deadline) await Task.Delay(100, ct);
        await Task.Delay(300, ct); // a fetch still under way shows up now
        return RegistryTraffic.BlobBytes(Images.Registry.Log[from..], [digest]);
    }

    /// <summary>The converted image's busybox layer and its zTOC (digest, bytes, parsed), found through the v2 index.</summary>
    private async Task<(Descriptor Layer, string ZtocDigest, byte[] ZtocBytes, Ztoc Ztoc)> BusyboxLayerAsync(CancellationToken ct)
    {
        var reference = ImageReference.Parse(Images.Converted);
        var image = (await Registry.ResolveAsync(reference, null, ct)).Manifest;
        var soci = SociIndexManifest.Parse((await Registry.GetManifestAsync(reference.WithSelector(image.Annotations![SociAnnotations.IndexDigest]), ct)).Bytes);
        var layer = image.Layers[BusyboxLayer];
        var ztocDescriptor = soci.ZtocFor(layer.Digest)!;
        var bytes = await Registry.GetBlobAsync(reference, new Descriptor { MediaType = ztocDescriptor.MediaType, Digest = ztocDescriptor.Digest, Size = ztocDescriptor.Size }, 1 << 24, ct);
        return (layer, ztocDescriptor.Digest, bytes, ZtocSerializer.Deserialize(bytes));
    }
}
