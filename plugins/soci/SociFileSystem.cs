using PluggableSnapshotter.LazyLayers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Mounts;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Plugins.Soci.WarmUp;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>
/// The SOCI backend (SOCI's <c>fs.Mount</c>): finds the image's SOCI index, fetches the layer's zTOC and serves the layer
/// read-only over FUSE, fetching the compressed spans a read needs with range requests. Behind the mount, the
/// <see cref="BackgroundFill"/> makes the layer local in the <see cref="LayerStore"/>; from then on its files are read
/// from the local copy (through READ, or FUSE passthrough when enabled) and a read-only bind of the local copy is stacked on the mount point, so new containers use
/// plain local files. A layer already local mounts from the store without the network. Serves the
/// <see cref="BackendCapabilities.Lazy"/> role only.
/// </summary>
internal sealed partial class SociFileSystem : IFileSystem, IContainerStartObserver, IAsyncDisposable
{
    private readonly DiscoveredIndexCache _indexes;
    private readonly ZtocSource _ztocs;
    private readonly OnDemandFetch _fetch;
    private readonly SpanCache _spans;
    private readonly LayerStore _store;
    private readonly BackgroundFill _fill;
    private readonly SociBackendOptions _options;
    private readonly ILogger _logger;
    private readonly LayerMounts _mounts;
    private readonly StoredIndexFiles _storedZtocs;
    private readonly MountActivity? _activity;

    public SociFileSystem(RegistryClient registry, DiscoveredIndexCache indexes, ZtocSource ztocs, OnDemandFetch fetch, SpanCache spans,
        LayerStore store, BackgroundFill fill, SociBackendOptions options, ILogger<SociFileSystem>? logger = null, LazyLayerMetrics? metrics = null,
        MountActivity? activity = null)
    {
        _activity = activity;
        (_indexes, _ztocs, _fetch, _spans, _store, _fill, _options) = (indexes, ztocs, fetch, spans, store, fill, options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _mounts = new LayerMounts("soci", registry, store, fill, spans, MountOptions,
            new LayerMountLog(SociLog.LayerUnmounted, SociLog.IdMappedViewMounted, SociLog.LayerPromoted, SociLog.PromotionFailed), _logger);
        _storedZtocs = new StoredIndexFiles(store, "zTOC", SociLog.StoredZtocRejected, _logger);
        _metrics = metrics;
        _metrics?.ObserveMountedLayers(() => _mounts.Count);
    }

    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

    /// <summary>How many layer digests have a tree shared by their mounts (tests: freed with a layer's last mount).</summary>
    internal int SharedLayerCount => _mounts.Shared.Count;

    private async Task<MountResult> MountLayerAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _activity?.MountStarted();
        _fill.MountStarted(); // fills wait until the pull's Prepares have passed
        if (!layer.DescribesImageLayer) return MountResult.NoIndex("the Prepare labels name no image reference and layer digest");
        if (!OciDigest.TryParse(layer.LayerDigest, out _)) throw new InvalidDataException($"the Prepare labels carry an invalid layer digest '{layer.LayerDigest}'");
        var mountpoint = LayerMounts.Normalize(layer.Mountpoint);
        var imageKey = layer.ManifestDigest ?? layer.ImageReference;
        if (_store.Local(layer.LayerDigest!) is { } local) return await MountFromStoreAsync(layer, local, mountpoint, imageKey, cancellationToken).ConfigureAwait(false);
        if (_store.Resumable(layer.LayerDigest!) is { } partial && layer.ImageReference is not null)
            return await MountFromPartialAsync(layer, partial, mountpoint, imageKey, cancellationToken).ConfigureAwait(false);

        var times = new MountTimes();
        var image = await _indexes.FindAsync(layer, cancellationToken).ConfigureAwait(false);
        times.Lap("discovery");
        if (image.Index is null) return MountResult.NoIndex(image.NoIndexReason ?? "the image has no SOCI index");
        var ztocDescriptor = image.Index.ZtocFor(layer.LayerDigest!);
        if (ztocDescriptor is null) return MountResult.NoZtoc($"SOCI index {image.IndexDigest} has no zTOC for layer {layer.LayerDigest}");

        using var scope = LayerLogScope.Begin(_logger, layer.LayerDigest, image.Repository);
        // The image's other layers come next: their zTOCs arrive meanwhile (not those of layers served or kept already).
        _ztocs.Prefetch(image.Repository, image.Index, image.IndexDigest,
            digest => _mounts.Shared.Find(image.Repository, digest) is not null || _store.Local(digest) is not null || _store.Resumable(digest) is not null,
            first: ztocDescriptor);
        var prefetched = _ztocs.IsReady(image.Repository, ztocDescriptor);
        var ztoc = await _ztocs.TakeAsync(image.Repository, ztocDescriptor, cancellationToken).ConfigureAwait(false);
        times.Lap("zTOC", prefetched ? "prefetched" : "fetched");
        var descriptor = LayerDescriptor(image, ztocDescriptor, ztoc.Ztoc, layer.LayerDigest!);
        var lowers = LowerTrees(image.Index, descriptor.Digest);
        var mounted = await ServeAsync(mountpoint, image.Repository, descriptor, () => ztoc.Ztoc, ztoc.TakeTree(), null, tree => LowerDirectoryAttributes.Resolve(tree, lowers), times, cancellationToken)
            .ConfigureAwait(false);
        SociLog.LayerMounted(_logger, descriptor.Digest, mountpoint, ztoc.Ztoc.Files.Count, ztocDescriptor.Digest, image.IndexDigest);
        if (_store.Attach(descriptor.Digest, mountpoint, descriptor.Size, imageKey, image.IndexDigest) is { } localPath)
        {
            await _mounts.PromoteAsync(mounted, localPath).ConfigureAwait(false); // another snapshot's fill finished meanwhile
        }
        else
        {
            PrefetchStartupFiles(mounted);
            _store.RecordPartial(descriptor.Digest, descriptor.MediaType, ztoc.Digest, ztoc.Bytes, LowerDigests(image.Index, descriptor.Digest));
            _fill.Enqueue(new FillRequest(image.Repository, descriptor, new LayerIndexFile(ztoc.Digest, ztoc.Bytes, ztoc.Ztoc.UncompressedArchiveSize), mounted.Root,
                DateTimeOffset.UtcNow.AddMilliseconds(_options.BackgroundFill.DelayMilliseconds), CheckUnpackInput: CheckUnpackInput(mounted)));
        }
        times.Lap("store");
        SociLog.MountTimes(_logger, descriptor.Digest, times.TotalMilliseconds, times.ToString());
        return Mounted(image.IndexDigest, local: false);
    }

    /// <summary>The check of a mounted layer's spans as its fill unpacks them, so that reads can take the files unpacked so far.</summary>
    private static Func<Stream, UnpackedFiles, Stream>? CheckUnpackInput(MountedLayer mounted) =>
        mounted.Content is LayerContent content ? content.UnpackCheckFor(mounted.Layer.MediaType) : null;

    /// <summary>A container is starting on layers of this host: the background fill makes way for it for a moment.</summary>
    public void ContainerStarting(string key) => _fill.ContainerStarting(key);

    /// <summary>A container on layers of this host was removed: the fill makes way as for a start, for the one that often follows.</summary>
    public void ContainerRemoved(string key) => _fill.ContainerRemoved(key);

    /// <inheritdoc />
    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return _mounts.CheckAsync(layer.Mountpoint, cancellationToken);
    }

    /// <inheritdoc />
    public Task UnmountAsync(string mountpoint, CancellationToken cancellationToken) => _mounts.UnmountAsync(mountpoint);

    /// <inheritdoc />
    public async Task CleanImageAsync(string imageKey, CancellationToken cancellationToken)
    {
        _indexes.Forget(imageKey);
        await _mounts.FreeUnusedLayersOfAsync(imageKey).ConfigureAwait(false);
    }

    /// <summary>
    /// The daemon is stopping: layers a FUSE keeper holds stay mounted (their local copy's bind too) for the next daemon
    /// to resume, so running containers keep reading them; views and layers no keeper holds are unmounted. The store and
    /// its complete layers stay.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        // Fills first: none then promotes a mount while they stop, nor writes to a partial blob once those are closed
        // (the plugin's service provider disposes the fill again: harmless).
        await _fill.DisposeAsync().ConfigureAwait(false);
        await _mounts.StopAsync().ConfigureAwait(false);
        _store.ClosePartials();
    }

    /// <summary>
    /// Serves the layer over FUSE at <paramref name="mountpoint"/>: its tree and content are the ones every mount of the
    /// layer shares (built by the first, from <paramref name="builtAhead"/> or the zTOC <paramref name="parse"/> gives; or
    /// <paramref name="found"/>, the shared layer the caller found and read no zTOC for),
    /// <paramref name="chainTree"/> gives the chain's view of the tree (its implicit directories' attributes, from the
    /// lower layers or from the store's copy).
    /// </summary>
    private async Task<MountedLayer> ServeAsync(string mountpoint, ImageReference repository, Descriptor descriptor, Func<Ztoc> parse,
        LayerInode? builtAhead, SharedLayer? found, Func<LayerInode, LayerInode> chainTree, MountTimes? times, CancellationToken cancellationToken)
    {
        // A layer found shared before (so its zTOC was not read) is served from that one, even if its last mount went meanwhile.
        var shared = _mounts.Shared.GetOrBuild(repository, descriptor.Digest, () => found ?? BuildShared(repository, descriptor, parse(), builtAhead));
        LayerInode view;
        try
        {
            view = chainTree(shared.Tree);
        }
        catch
        {
            _mounts.ForgetUnusedShared(repository, descriptor.Digest);
            throw;
        }
        times?.Lap("tree");
        var mounted = await _mounts.ServeAsync(mountpoint, repository, descriptor, shared, view, cancellationToken).ConfigureAwait(false);
        times?.Lap("FUSE mount", mounted.Mount.Phases.ToString());
        return mounted;
    }

    /// <summary>The tree, content and nodes every mount of the layer shares, from its zTOC (and the tree built ahead, if any).</summary>
    private SharedLayer BuildShared(ImageReference repository, Descriptor descriptor, Ztoc ztoc, LayerInode? builtAhead)
    {
        var tree = builtAhead ?? ZtocLayerEntries.BuildTree(ztoc, _options.UserXattr);
        var (uncompressedSize, spanCount, layout) = (ztoc.UncompressedArchiveSize, ztoc.CompressionInfo.MaxSpanId + 1, LayerContent.SpanLayout(ztoc));
        var digest = descriptor.Digest;
        // Whether every span is kept is asked at each decompression: a layer whose fill fails keeps its spans from then on.
        var content = new LayerContent(_fetch, repository, descriptor, ztoc, _spans, _options.Cache.ReadaheadSpans, () => _store.Partial(digest),
            _options.Cache.KeepDecompressed == false ? null : () => _store.Decompressed(digest, uncompressedSize, spanCount, layout), _metrics,
            keepsEverySpan: () => _options.Cache.KeepsDecompressed(_options.BackgroundFill, () => _store.StateOf(digest) == LayerState.Failed),
            spansOnDisk: _store.HoldsDecompressed(digest), unpacking: () => _fill.Unpacking(digest));
        return new SharedLayer(tree, content, _logger, ztoc.UncompressedArchiveSize); // the size: a later mount's fill request
    }

    /// <summary>A layer the store holds: its tree from the kept zTOC, its files from the local copy; no network.</summary>
    private async Task<MountResult> MountFromStoreAsync(LayerRequest layer, LocalLayer local, string mountpoint, string? imageKey, CancellationToken cancellationToken)
    {
        var descriptor = new Descriptor { MediaType = local.MediaType, Digest = local.Digest, Size = local.Size };
        var repository = ImageReference.Parse(layer.ImageReference!);
        // Another snapshot of the layer serving already means its tree is there: the zTOC is read only to build it.
        var found = _mounts.Shared.Find(repository, local.Digest);
        var ztoc = found is null ? await StoredZtocAsync(repository, local.ZtocPath, local.ZtocDigest, local.Digest, cancellationToken).ConfigureAwait(false) : null;
        var mounted = await ServeAsync(mountpoint, repository, descriptor, () => ZtocSource.Parse(local.ZtocDigest, ztoc!).Ztoc, null, found,
            tree => ImplicitDirectories.ResolveFrom(local.FsPath, tree), null, cancellationToken).ConfigureAwait(false);
        _store.Attach(local.Digest, mountpoint, local.Size, imageKey, layer.SociIndexDigest ?? local.IndexDigest);
        await _mounts.PromoteAsync(mounted, local.FsPath).ConfigureAwait(false);
        SociLog.LayerMountedFromStore(_logger, local.Digest, mountpoint);
        return Mounted(layer.SociIndexDigest ?? local.IndexDigest, local: true);
    }

    /// <summary>Fetches the spans of the files containerd reads when it creates a container (<see cref="StartupFiles"/>) that the layer holds.</summary>
    private static void PrefetchStartupFiles(MountedLayer mounted)
    {
        if (mounted.Content is not LayerContent content) return;
        foreach (var (offset, size) in StartupFiles.In(mounted.Root)) content.Prefetch(offset, size);
    }

    private static MountResult Mounted(string? indexDigest, bool local) => MountResult.Mounted with
    {
        // Committed with the snapshot: a restart mounts the layer again from this very index, whatever the tag says by then.
        Labels = indexDigest is null
            ? new Dictionary<string, string> { [SociLabels.MountedFromStore] = local ? "true" : "false" }
            : new Dictionary<string, string> { [SnapshotLabels.SociIndexDigest] = indexDigest, [SociLabels.MountedFromStore] = local ? "true" : "false" },
    };

    /// <summary>
    /// The trees of the layers below <paramref name="layerDigest"/> that this backend serves, nearest first, in the index's
    /// layer order (image-layer order; every lazily served layer has a zTOC there). The Prepare labels cannot tell: their
    /// layer lists start at the layer being prepared. containerd prepares an image's layers bottom-up, and the host
    /// remounts them in that order, so lazily served lowers are mounted already.
    /// </summary>
    private List<LayerInode> LowerTrees(SociIndexManifest index, string layerDigest) => _mounts.LowerTrees(LowerDigests(index, layerDigest));

    /// <summary>The digests of the index's layers below <paramref name="layerDigest"/>, nearest first.</summary>
    private static List<string> LowerDigests(SociIndexManifest index, string layerDigest)
    {
        var order = index.Ztocs.Select(z => z.Annotation(SociAnnotations.ImageLayerDigest)).ToList();
        var lowers = new List<string>();
        for (var i = order.IndexOf(layerDigest) - 1; i >= 0; i--)
        {
            if (order[i] is { } digest) lowers.Add(digest);
        }
        return lowers;
    }

    /// <summary>The layer's descriptor from the image manifest, or (with an explicit index and no manifest) from the zTOC's annotations.</summary>
    private static Descriptor LayerDescriptor(DiscoveredIndex image, Descriptor ztocDescriptor, Ztoc ztoc, string layerDigest)
    {
        var descriptor = image.Manifest is { } manifest
            ? manifest.Layers.FirstOrDefault(l => l.Digest == layerDigest)
                ?? throw new InvalidDataException($"layer {layerDigest} is not a layer of image manifest {image.ManifestDigest}")
            : new Descriptor
            {
                MediaType = ztocDescriptor.Annotation(SociAnnotations.ImageLayerMediaType) ?? MediaTypes.OciLayerGzip,
                Digest = layerDigest,
                Size = ztoc.CompressedArchiveSize,
            };
        if (descriptor.Size != ztoc.CompressedArchiveSize)
            throw new InvalidDataException($"zTOC {ztocDescriptor.Digest} describes a {ztoc.CompressedArchiveSize}-byte layer, but layer {layerDigest} is {descriptor.Size} bytes");
        return descriptor;
    }

    private FuseMountOptions MountOptions(string layerDigest) => _options.Fuse.MountOptions(layerDigest, "pluggable-soci");
}
