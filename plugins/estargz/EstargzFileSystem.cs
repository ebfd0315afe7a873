using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Mounts;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Estargz.Content;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// The eStargz backend: tells an eStargz layer by its footer, fetches and verifies its TOC and serves the layer read-only
/// over FUSE, fetching the chunks a read needs with range requests (each checked against its digest). An optimized
/// image's landmark section is prefetched before the mount returns. Behind the mount the <see cref="BackgroundFill"/>
/// makes the layer local in the <see cref="LayerStore"/>, then a read-only bind of the local copy is stacked on the mount
/// point, as for soci layers. Serves the <see cref="BackendCapabilities.Lazy"/> role only.
/// </summary>
internal sealed partial class EstargzFileSystem : IFileSystem, IContainerStartObserver, IAsyncDisposable
{
    private readonly ResolvedImageCache _images;
    private readonly TocPrefetcher _tocs;
    private readonly OnDemandFetch _fetch;
    private readonly SpanCache _cache;
    private readonly LayerStore _store;
    private readonly BackgroundFill _fill;
    private readonly EstargzBackendOptions _options;
    private readonly ILogger _logger;
    private readonly LayerMounts _mounts;
    private readonly StoredIndexFiles _storedTocs;

    public EstargzFileSystem(RegistryClient registry, ResolvedImageCache images, TocPrefetcher tocs, OnDemandFetch fetch, SpanCache cache, LayerStore store,
        BackgroundFill fill, EstargzBackendOptions options, ILogger<EstargzFileSystem>? logger = null)
    {
        (_images, _tocs, _fetch, _cache, _store, _fill, _options) = (images, tocs, fetch, cache, store, fill, options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _mounts = new LayerMounts("estargz", registry, store, fill, cache, MountOptions,
            new LayerMountLog(EstargzLog.LayerUnmounted, EstargzLog.IdMappedViewMounted, EstargzLog.LayerPromoted, EstargzLog.PromotionFailed), _logger);
        _storedTocs = new StoredIndexFiles(store, "TOC", EstargzLog.StoredTocRejected, _logger);
    }

    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

    /// <inheritdoc />
    public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _fill.MountStarted(); // fills wait until the pull's Prepares have passed
        if (!layer.DescribesImageLayer) return MountResult.NoIndex("the Prepare labels name no image reference and layer digest");
        if (!OciDigest.TryParse(layer.LayerDigest, out _)) throw new InvalidDataException($"the Prepare labels carry an invalid layer digest '{layer.LayerDigest}'");
        var mountpoint = LayerMounts.Normalize(layer.Mountpoint);
        var imageKey = layer.ManifestDigest ?? layer.ImageReference;
        if (_store.Local(layer.LayerDigest!) is { } local) return await MountFromStoreAsync(layer, local, mountpoint, imageKey, cancellationToken).ConfigureAwait(false);

        var times = new MountTimes();
        var image = await _images.ResolveAsync(layer, cancellationToken).ConfigureAwait(false);
        times.Lap("discovery"); // the manifest, as soci names finding its index
        var descriptor = image.Manifest.Layers.FirstOrDefault(l => l.Digest == layer.LayerDigest)
            ?? throw new InvalidDataException($"layer {layer.LayerDigest} is not a layer of image manifest {image.ManifestDescriptor.Digest}");
        if (TocPrefetcher.Compression(descriptor.MediaType) is not { } compression)
            return MountResult.NoIndex($"layer {descriptor.Digest} is '{descriptor.MediaType}'; only gzip (eStargz) and zstd (zstd:chunked) layers are served");
        var tocDigest = layer.Labels.GetValueOrDefault(EstargzLabels.TocDigest) ?? descriptor.Annotations?.GetValueOrDefault(EstargzLabels.TocDigest);
        if (tocDigest is null && _options.Verify)
        {
            // Without the annotation nothing vouches for the TOC, and the TOC is what vouches for every chunk.
            return MountResult.NoIndex($"layer {descriptor.Digest} has no {EstargzLabels.TocDigest} annotation (not eStargz, or legacy stargz, which cannot be verified)");
        }

        using var scope = LayerLogScope.Begin(_logger, descriptor.Digest, image.Reference);
        // The later layers' TOCs come in the background while this one mounts: their Prepares then wait for none.
        _tocs.PrefetchLayersAbove(image.Reference, imageKey ?? image.ManifestDescriptor.Digest, image.Manifest, descriptor.Digest,
            l => _store.Local(l.Digest) is null && _store.StateOf(l.Digest) != LayerState.Filling);
        var (found, prefetched) = await _tocs.FindAsync(image.Reference, descriptor, compression, _options.Verify ? tocDigest : null, cancellationToken).ConfigureAwait(false);
        if (found is null) return MountResult.NoIndex($"layer {descriptor.Digest} ends in no {(compression == EstargzCompression.Zstd ? "zstd:chunked" : "eStargz")} footer");
        if (!_options.Verify) EstargzLog.ServingUnverified(_logger, descriptor.Digest);
        times.Lap("TOC", prefetched ? "prefetched" : "fetched");
        // Every mount of the layer shares its layout (tree, chunks) and content; the chain sees its own implicit directories.
        var shared = _mounts.Shared.GetOrBuild(image.Reference, descriptor.Digest, () =>
        {
            var built = EstargzLayout.Build(found.Toc, found.DataEnd, _options.UserXattr, _options.Verify, _options.Cache.ReadBytes);
            return new SharedLayer(built.Root, new EstargzContent(built, _fetch, _cache, image.Reference, descriptor, _options.Verify,
                _options.Cache.ReadaheadGroups, () => _store.Partial(descriptor.Digest), found.Compression), _logger, built);
        });
        var (layout, content) = ((EstargzLayout)shared.Format!, (EstargzContent)shared.Content);
        LayerInode chainTree;
        try
        {
            chainTree = LowerDirectoryAttributes.Resolve(layout.Root, LowerTrees(image.Manifest, descriptor.Digest));
            times.Lap("tree");
            await PrefetchAsync(content, layout, descriptor.Digest, cancellationToken).ConfigureAwait(false);
            times.Lap("landmark prefetch");
        }
        catch
        {
            _mounts.ForgetUnusedShared(image.Reference, descriptor.Digest); // a failed mount keeps no tree
            throw;
        }
        var mounted = await _mounts.ServeAsync(mountpoint, image.Reference, descriptor, shared, chainTree, cancellationToken).ConfigureAwait(false);
        times.Lap("FUSE mount", mounted.Mount.Phases.ToString());
        EstargzLog.LayerMounted(_logger, descriptor.Digest, mountpoint, layout.Entries, layout.Chunks.Count, layout.Groups.Count, found.Digest);
        if (_store.Attach(descriptor.Digest, mountpoint, descriptor.Size, imageKey, null) is { } localPath)
        {
            await _mounts.PromoteAsync(mounted, localPath).ConfigureAwait(false); // another snapshot's fill finished meanwhile
        }
        else
        {
            _fill.Enqueue(new FillRequest(image.Reference, descriptor, new LayerIndexFile(found.Digest, found.Json, layout.UncompressedSize), mounted.Root,
                DateTimeOffset.UtcNow.AddMilliseconds(_options.BackgroundFill.DelayMilliseconds), EstargzLayout.FormatEntries));
        }
        times.Lap("store");
        EstargzLog.MountTimes(_logger, descriptor.Digest, times.TotalMilliseconds, times.ToString());
        return Mounted(found.Digest, local: false);
    }

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
        _images.Forget(imageKey);
        _tocs.Forget(imageKey);
        await _mounts.FreeUnusedLayersOfAsync(imageKey).ConfigureAwait(false);
    }

    /// <summary>
    /// The daemon is stopping: layers a FUSE keeper holds stay mounted for the next daemon to resume; views and layers
    /// no keeper holds are unmounted (see <see cref="LayerMounts.StopAsync"/>). The store and its complete layers stay.
    /// </summary>
    public async ValueTask DisposeAsync() => await _mounts.StopAsync().ConfigureAwait(false);

    /// <summary>The landmark section, before the mount returns, for at most <c>prefetch.timeout_ms</c>; a failure only costs speed.</summary>
    private async Task PrefetchAsync(EstargzContent content, EstargzLayout layout, string layerDigest, CancellationToken cancellationToken)
    {
        if (!_options.Prefetch.Enable || layout.PrefetchEnd <= 0) return;
        var started = Stopwatch.GetTimestamp();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_options.Prefetch.TimeoutMilliseconds);
        try
        {
            await content.PrefetchAsync(bounded.Token).ConfigureAwait(false);
            EstargzLog.Prefetched(_logger, layerDigest, layout.PrefetchEnd, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException or RegistryException)
        {
            EstargzLog.PrefetchFailed(_logger, layerDigest, e is OperationCanceledException ? $"not within {_options.Prefetch.TimeoutMilliseconds} ms" : e.Message);
        }
    }

    /// <summary>
    /// A layer the store holds: its tree from the kept TOC, its files from the local copy; no network, unless the kept TOC
    /// is unusable: then it is fetched from the registry as at a first mount and kept in its place.
    /// </summary>
    private async Task<MountResult> MountFromStoreAsync(LayerRequest layer, LocalLayer local, string mountpoint, string? imageKey, CancellationToken cancellationToken)
    {
        var repository = ImageReference.Parse(layer.ImageReference!);
        var descriptor = new Descriptor { MediaType = local.MediaType, Digest = local.Digest, Size = local.Size };
        var shared = _mounts.Shared.Find(repository, local.Digest);
        if (shared is null)
        {
            var json = await _storedTocs.ReadAsync(local.Digest, local.ZtocPath, local.ZtocDigest, repository,
                ct => FetchTocAsync(repository, descriptor, local.ZtocDigest, ct), cancellationToken).ConfigureAwait(false);
            var toc = TocReader.Parse(json, expectedDigest: null); // checked against local.ZtocDigest as it was read
            shared = _mounts.Shared.GetOrBuild(repository, local.Digest, () =>
            {
                // Reads go to the local copy; the layout's blob offsets only matter should the layer be read before promotion.
                var layout = EstargzLayout.Build(toc, local.Size, _options.UserXattr, requireDigests: false, _options.Cache.ReadBytes);
                return new SharedLayer(layout.Root, new EstargzContent(layout, _fetch, _cache, repository, descriptor, _options.Verify,
                    _options.Cache.ReadaheadGroups, () => _store.Partial(descriptor.Digest), TocPrefetcher.Compression(local.MediaType) ?? EstargzCompression.Gzip),
                    _logger, layout);
            });
        }
        LayerInode chainTree;
        try
        {
            chainTree = ImplicitDirectories.ResolveFrom(local.FsPath, shared.Tree);
        }
        catch
        {
            _mounts.ForgetUnusedShared(repository, local.Digest);
            throw;
        }
        var mounted = await _mounts.ServeAsync(mountpoint, repository, descriptor, shared, chainTree, cancellationToken).ConfigureAwait(false);
        _store.Attach(local.Digest, mountpoint, local.Size, imageKey, null);
        await _mounts.PromoteAsync(mounted, local.FsPath).ConfigureAwait(false);
        EstargzLog.LayerMountedFromStore(_logger, local.Digest, mountpoint);
        return Mounted(local.ZtocDigest, local: true);
    }

    /// <summary>
    /// The TOC of a stored layer whose kept copy is unusable, found and checked against <paramref name="tocDigest"/> (the
    /// digest the store recorded) as at a first mount.
    /// </summary>
    private async Task<byte[]> FetchTocAsync(ImageReference repository, Descriptor layer, string tocDigest, CancellationToken cancellationToken)
    {
        var compression = TocPrefetcher.Compression(layer.MediaType) ?? EstargzCompression.Gzip;
        var (found, _) = await _tocs.FindAsync(repository, layer, compression, tocDigest, cancellationToken).ConfigureAwait(false);
        return found?.Json ?? throw new InvalidDataException($"layer {layer.Digest} ends in no {(compression == EstargzCompression.Zstd ? "zstd:chunked" : "eStargz")} footer");
    }

    /// <summary>Committed with the snapshot: a restart checks the layer's TOC against the same digest.</summary>
    private static MountResult Mounted(string tocDigest, bool local) => MountResult.Mounted with
    {
        Labels = new Dictionary<string, string>
        {
            [EstargzLabels.TocDigest] = tocDigest,
            [EstargzLabels.MountedFromStore] = local ? "true" : "false",
        },
    };

    /// <summary>
    /// The trees of the layers below <paramref name="layerDigest"/> that this backend serves, nearest first, in the
    /// manifest's order. containerd prepares an image's layers bottom-up, so lazily served lowers are mounted already.
    /// </summary>
    private List<LayerInode> LowerTrees(ImageManifest manifest, string layerDigest)
    {
        var order = manifest.Layers.Select(l => l.Digest).ToList();
        return _mounts.LowerTrees(Enumerable.Range(0, Math.Max(0, order.IndexOf(layerDigest))).Reverse().Select(i => order[i]));
    }

    private FuseMountOptions MountOptions(string layerDigest) => _options.Fuse.MountOptions(layerDigest, "pluggable-estargz");
}
