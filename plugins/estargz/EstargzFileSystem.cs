using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Estargz.Content;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// The eStargz backend: tells an eStargz layer by its footer, fetches and verifies its TOC and serves the layer read-only
/// over FUSE, fetching the chunks a read needs with range requests (each checked against its digest). An optimized
/// image's landmark section is prefetched before the mount returns. Behind the mount the <see cref="BackgroundFill"/>
/// makes the layer local in the <see cref="LayerStore"/>, then a read-only bind of the local copy is stacked on the mount
/// point, as for soci layers. Serves the <see cref="BackendCapabilities.Lazy"/> role only.
/// </summary>
internal sealed partial class EstargzFileSystem : IFileSystem, IAsyncDisposable
{
    private readonly RegistryClient _registry;
    private readonly ImageCache _images;
    private readonly TocFinder _tocs;
    private readonly OnDemandFetch _fetch;
    private readonly SpanCache _cache;
    private readonly LayerStore _store;
    private readonly BackgroundFill _fill;
    private readonly EstargzBackendOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, EstargzMountedLayer> _layers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FuseMount> _views = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _mountLock = new(1, 1); // orders binds and unmounts of one mount point

    public EstargzFileSystem(RegistryClient registry, ImageCache images, TocFinder tocs, OnDemandFetch fetch, SpanCache cache, LayerStore store,
        BackgroundFill fill, EstargzBackendOptions options, ILogger<EstargzFileSystem>? logger = null)
    {
        (_registry, _images, _tocs, _fetch, _cache, _store, _fill, _options) = (registry, images, tocs, fetch, cache, store, fill, options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _fill.LayerLocal = OnLayerLocalAsync;
    }

    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

    /// <inheritdoc />
    public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.DescribesImageLayer) return MountResult.NoIndex("the Prepare labels name no image reference and layer digest");
        if (!OciDigest.TryParse(layer.LayerDigest, out _)) throw new InvalidDataException($"the Prepare labels carry an invalid layer digest '{layer.LayerDigest}'");
        var mountpoint = Normalize(layer.Mountpoint);
        var imageKey = layer.ManifestDigest ?? layer.ImageReference;
        if (_store.Local(layer.LayerDigest!) is { } local) return await MountFromStoreAsync(layer, local, mountpoint, imageKey, cancellationToken).ConfigureAwait(false);

        var image = await _images.ResolveAsync(layer, cancellationToken).ConfigureAwait(false);
        var descriptor = image.Manifest.Layers.FirstOrDefault(l => l.Digest == layer.LayerDigest)
            ?? throw new InvalidDataException($"layer {layer.LayerDigest} is not a layer of image manifest {image.ManifestDescriptor.Digest}");
        if (descriptor.MediaType is not (MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip))
            return MountResult.NoIndex($"layer {descriptor.Digest} is '{descriptor.MediaType}'; only gzip eStargz layers are served");
        var tocDigest = layer.Labels.GetValueOrDefault(EstargzLabels.TocDigest) ?? descriptor.Annotations?.GetValueOrDefault(EstargzLabels.TocDigest);
        if (tocDigest is null && _options.Verify)
        {
            // Without the annotation nothing vouches for the TOC, and the TOC is what vouches for every chunk.
            return MountResult.NoIndex($"layer {descriptor.Digest} has no {EstargzLabels.TocDigest} annotation (not eStargz, or legacy stargz, which cannot be verified)");
        }

        using var scope = _logger.BeginScope("layer {LayerDigest} of {ImageReference}", descriptor.Digest, image.Reference);
        var found = await _tocs.FindAsync(image.Reference, descriptor, _options.Verify ? tocDigest : null, cancellationToken).ConfigureAwait(false);
        if (found is null) return MountResult.NoIndex($"layer {descriptor.Digest} ends in no eStargz footer");
        if (!_options.Verify) EstargzLog.ServingUnverified(_logger, descriptor.Digest);
        var layout = EstargzLayout.Build(found.Toc, found.TocOffset, _options.UserXattr, _options.Verify, _options.Cache.ReadBytes);
        LowerDirectoryAttributes.Apply(layout.Root, LowerTrees(image.Manifest, descriptor.Digest));
        var content = new EstargzContent(layout, _fetch, _cache, image.Reference, descriptor, _options.Verify, _options.Cache.ReadaheadGroups, () => _store.Partial(descriptor.Digest));
        await PrefetchAsync(content, layout, descriptor.Digest, cancellationToken).ConfigureAwait(false);
        var mounted = await ServeAsync(mountpoint, image.Reference, descriptor, layout.Root, content, cancellationToken).ConfigureAwait(false);
        EstargzLog.LayerMounted(_logger, descriptor.Digest, mountpoint, layout.Entries, layout.Chunks.Count, layout.Groups.Count, found.Digest);
        if (_store.Attach(descriptor.Digest, mountpoint, descriptor.Size, imageKey, null) is { } localPath)
        {
            await PromoteAsync(mounted, localPath).ConfigureAwait(false); // another snapshot's fill finished meanwhile
        }
        else
        {
            _fill.Enqueue(new FillRequest(image.Reference, descriptor, new LayerIndexFile(found.Digest, found.Json, layout.UncompressedSize), layout.Root,
                DateTimeOffset.UtcNow.AddMilliseconds(_options.BackgroundFill.DelayMilliseconds), EstargzLayout.FormatEntries));
        }
        return Mounted(found.Digest, local: false);
    }

    /// <inheritdoc />
    public async Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var mountpoint = Normalize(layer.Mountpoint);
        if (!_layers.TryGetValue(mountpoint, out var mounted))
            throw new InvalidOperationException($"the estargz backend serves no layer at {mountpoint}");
        if (mounted.Mount.Completion.IsCompleted)
            throw new IOException($"the FUSE mount of layer {mounted.Layer.Digest} at {mountpoint} no longer serves");
        if (mounted.Content.LocalRoot is not null) return; // every byte is local: the registry is not needed
        if (!await _registry.BlobExistsAsync(mounted.Repository, mounted.Layer.ParsedDigest, cancellationToken).ConfigureAwait(false))
            throw new IOException($"the registry no longer has layer {mounted.Layer.Digest} of {mounted.Repository}");
    }

    /// <inheritdoc />
    public async Task UnmountAsync(string mountpoint, CancellationToken cancellationToken)
    {
        var key = Normalize(mountpoint);
        if (_layers.TryRemove(key, out var mounted))
        {
            await StopServingAsync(mounted).ConfigureAwait(false);
            EstargzLog.LayerUnmounted(_logger, mounted.Layer.Digest, key);
            var digest = mounted.Layer.Digest;
            if (!_layers.Values.Any(l => l.Layer.Digest == digest)) _cache.Evict(digest);
            if (_store.Detach(digest, key)) await FreeAsync(digest).ConfigureAwait(false);
        }
        else if (_views.TryRemove(key, out var view))
        {
            await view.DisposeAsync().ConfigureAwait(false);
        }
        else if (Directory.Exists(key) && FuseMountCleanup.IsDisconnected(key))
        {
            // Left by a previous run whose FUSE server is gone.
            FuseMountCleanup.Unmount(key, UnmountMode.Lazy);
        }
    }

    /// <inheritdoc />
    public async Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken)
    {
        _images.Forget(imageDigest);
        foreach (var digest in _store.UnusedLayersOf(imageDigest)) await FreeAsync(digest).ConfigureAwait(false);
    }

    /// <summary>
    /// The daemon is stopping: layers a FUSE keeper holds stay mounted for the next daemon to resume; views and layers
    /// no keeper holds are unmounted. The store and its complete layers stay.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _fill.DisposeAsync().ConfigureAwait(false);
        foreach (var key in _views.Keys) await UnmountAsync(key, CancellationToken.None).ConfigureAwait(false);
        foreach (var key in _layers.Keys)
        {
            if (!_layers.TryRemove(key, out var mounted)) continue;
            if (mounted.Mount.IsKept) await mounted.Mount.LeaveToKeeperAsync(CancellationToken.None).ConfigureAwait(false);
            else await StopServingAsync(mounted).ConfigureAwait(false);
        }
    }

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

    /// <summary>Serves <paramref name="tree"/> over FUSE at <paramref name="mountpoint"/>.</summary>
    private async Task<EstargzMountedLayer> ServeAsync(string mountpoint, ImageReference repository, Descriptor descriptor, LayerInode tree,
        EstargzContent content, CancellationToken cancellationToken)
    {
        var root = LayerView.Build(tree, OwnerMapping.Identity, content, _logger);
        var mount = await FuseMount.MountAsync(mountpoint, root, MountOptions(descriptor.Digest), _logger, cancellationToken).ConfigureAwait(false);
        var mounted = new EstargzMountedLayer(mountpoint, mount, tree, content, repository, descriptor);
        if (!_layers.TryAdd(mountpoint, mounted))
        {
            await mount.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{mountpoint} already serves a layer");
        }
        return mounted;
    }

    /// <summary>A layer the store holds: its tree from the kept TOC, its files from the local copy; no network.</summary>
    private async Task<MountResult> MountFromStoreAsync(LayerRequest layer, LocalLayer local, string mountpoint, string? imageKey, CancellationToken cancellationToken)
    {
        var json = await File.ReadAllBytesAsync(local.ZtocPath, cancellationToken).ConfigureAwait(false);
        var toc = TocReader.Parse(json, local.ZtocDigest); // the stored TOC still matches its digest
        var layout = EstargzLayout.Build(toc, local.Size, _options.UserXattr, requireDigests: false, _options.Cache.ReadBytes);
        ImplicitDirectories.CopyToTree(local.FsPath, layout.Root);
        var descriptor = new Descriptor { MediaType = local.MediaType, Digest = local.Digest, Size = local.Size };
        var repository = ImageReference.Parse(layer.ImageReference!);
        var content = new EstargzContent(layout, _fetch, _cache, repository, descriptor, _options.Verify, _options.Cache.ReadaheadGroups, () => _store.Partial(descriptor.Digest));
        var mounted = await ServeAsync(mountpoint, repository, descriptor, layout.Root, content, cancellationToken).ConfigureAwait(false);
        _store.Attach(local.Digest, mountpoint, local.Size, imageKey, null);
        await PromoteAsync(mounted, local.FsPath).ConfigureAwait(false);
        EstargzLog.LayerMountedFromStore(_logger, local.Digest, mountpoint);
        return Mounted(local.ZtocDigest, local: true);
    }

    /// <summary>Switches a mounted layer to its local copy: the FUSE mount reads its files from there, and the copy is bound on top.</summary>
    private async Task PromoteAsync(EstargzMountedLayer mounted, string fsPath)
    {
        await _mountLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (mounted.Bound || !_layers.TryGetValue(mounted.Mountpoint, out var current) || current != mounted) return;
            mounted.Content.LocalRoot = fsPath;
            if (!BindMount.IsBound(fsPath, mounted.Mountpoint)) BindMount.MountReadOnly(fsPath, mounted.Mountpoint);
            mounted.Bound = true;
            _cache.Evict(mounted.Layer.Digest);
            EstargzLog.LayerPromoted(_logger, mounted.Layer.Digest, mounted.Mountpoint);
        }
        catch (IOException e)
        {
            EstargzLog.PromotionFailed(_logger, mounted.Layer.Digest, mounted.Mountpoint, e.Message); // the FUSE mount keeps serving
        }
        finally
        {
            _mountLock.Release();
        }
    }

    private async Task OnLayerLocalAsync(string digest, string fsPath)
    {
        foreach (var mounted in _layers.Values.Where(l => l.Layer.Digest == digest).ToList()) await PromoteAsync(mounted, fsPath).ConfigureAwait(false);
    }

    private async Task StopServingAsync(EstargzMountedLayer mounted)
    {
        await _mountLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (mounted.Bound)
            {
                try
                {
                    BindMount.Unmount(mounted.Mountpoint);
                }
                catch (IOException e)
                {
                    _logger.LogWarning(e, "unbinding the local copy of layer {LayerDigest} from {Mountpoint} failed", mounted.Layer.Digest, mounted.Mountpoint);
                }
                mounted.Bound = false;
            }
            await mounted.Mount.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _mountLock.Release();
        }
    }

    /// <summary>Stops a layer's fill and deletes its local copy (nothing uses it).</summary>
    private async Task FreeAsync(string digest)
    {
        await _fill.CancelAsync(digest).ConfigureAwait(false);
        _store.Delete(digest);
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
        var lowers = new List<LayerInode>();
        for (var i = order.IndexOf(layerDigest) - 1; i >= 0; i--)
        {
            if (_layers.Values.FirstOrDefault(l => l.Layer.Digest == order[i]) is { } lower) lowers.Add(lower.Root);
        }
        return lowers;
    }

    private FuseMountOptions MountOptions(string layerDigest) => new()
    {
        FsName = layerDigest,
        Subtype = "pluggable-estargz",
        AttributeTimeout = TimeSpan.FromSeconds(_options.Fuse.AttrTimeout),
        EntryTimeout = TimeSpan.FromSeconds(_options.Fuse.EntryTimeout),
        NegativeEntryTimeout = TimeSpan.FromSeconds(_options.Fuse.NegativeTimeout),
        ReadOnly = true,
        Passthrough = _options.Fuse.Passthrough,
        // Set by the daemon when it runs a FUSE keeper: the mount then survives a daemon crash or upgrade.
        Keeper = FuseKeeperClient.FromEnvironment(),
        // At least two: a read that decompresses a group on the worker must not hold up the metadata requests of a starting container.
        Workers = Math.Max(2, Environment.ProcessorCount / 2),
    };

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
