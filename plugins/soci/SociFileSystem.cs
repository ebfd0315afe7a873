using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Plugins.Soci.Nodes;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>
/// The SOCI backend (SOCI's <c>fs.Mount</c>): finds the image's SOCI index, fetches the layer's zTOC and serves the layer
/// read-only over FUSE, fetching the compressed spans a read needs with range requests. Serves the
/// <see cref="BackendCapabilities.Lazy"/> role only.
/// </summary>
internal sealed partial class SociFileSystem(
    RegistryClient registry, DiscoveredIndexCache indexes, SpanCache spans, SociBackendOptions options, ILogger<SociFileSystem>? logger = null)
    : IFileSystem, IAsyncDisposable
{
    /// <summary>No zTOC this large is plausible (SOCI's are a few percent of a layer); a bigger one is refused before download.</summary>
    private const int MaxZtocSize = 256 * 1024 * 1024;

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly ConcurrentDictionary<string, MountedLayer> _layers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FuseMount> _views = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

    /// <inheritdoc />
    public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.DescribesImageLayer) return MountResult.NoIndex("the Prepare labels name no image reference and layer digest");
        var image = await indexes.FindAsync(layer, cancellationToken).ConfigureAwait(false);
        if (image.Index is null) return MountResult.NoIndex(image.NoIndexReason ?? "the image has no SOCI index");
        var ztocDescriptor = image.Index.ZtocFor(layer.LayerDigest!);
        if (ztocDescriptor is null) return MountResult.NoZtoc($"SOCI index {image.IndexDigest} has no zTOC for layer {layer.LayerDigest}");

        using var scope = _logger.BeginScope("layer {LayerDigest} of {ImageReference}", layer.LayerDigest, image.Repository);
        var ztoc = await FetchZtocAsync(image.Repository, ztocDescriptor, cancellationToken).ConfigureAwait(false);
        var descriptor = LayerDescriptor(image, ztocDescriptor, ztoc, layer.LayerDigest!);
        var tree = LayerTreeBuilder.Build(ztoc, options.UserXattr);
        LowerDirectoryAttributes.Apply(tree, LowerTrees(image.Index, layer.LayerDigest!));
        var content = new LayerContent(registry, image.Repository, descriptor, ztoc, spans);
        var root = LayerView.Build(tree, OwnerMapping.Identity, content, _logger);
        var mountpoint = Normalize(layer.Mountpoint);
        var mount = await FuseMount.MountAsync(mountpoint, root, MountOptions(descriptor.Digest), _logger, cancellationToken).ConfigureAwait(false);
        if (!_layers.TryAdd(mountpoint, new MountedLayer(mount, tree, content, image.Repository, descriptor)))
        {
            await mount.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{mountpoint} already serves a layer");
        }
        SociLog.LayerMounted(_logger, descriptor.Digest, mountpoint, ztoc.Files.Count, ztocDescriptor.Digest, image.IndexDigest);
        return MountResult.Mounted with
        {
            // Committed with the snapshot: a restart mounts the layer again from this very index, whatever the tag says by then.
            Labels = new Dictionary<string, string> { [SnapshotLabels.SociIndexDigest] = image.IndexDigest! },
        };
    }

    /// <inheritdoc />
    public async Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var mountpoint = Normalize(layer.Mountpoint);
        if (!_layers.TryGetValue(mountpoint, out var mounted))
            throw new InvalidOperationException($"the soci backend serves no layer at {mountpoint}");
        if (mounted.Mount.Completion.IsCompleted || FuseMountCleanup.IsDisconnected(mountpoint))
            throw new IOException($"the FUSE mount of layer {mounted.Layer.Digest} at {mountpoint} no longer serves");
        if (!await registry.BlobExistsAsync(mounted.Repository, mounted.Layer.ParsedDigest, cancellationToken).ConfigureAwait(false))
            throw new IOException($"the registry no longer has layer {mounted.Layer.Digest} of {mounted.Repository}");
    }

    /// <inheritdoc />
    public async Task UnmountAsync(string mountpoint, CancellationToken cancellationToken)
    {
        var key = Normalize(mountpoint);
        if (_layers.TryRemove(key, out var mounted))
        {
            await mounted.Mount.DisposeAsync().ConfigureAwait(false);
            if (!_layers.Values.Any(l => l.Layer.Digest == mounted.Layer.Digest)) spans.Evict(mounted.Layer.Digest);
            SociLog.LayerUnmounted(_logger, mounted.Layer.Digest, key);
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
    public async Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMap);
        var key = Normalize(mountpoint);
        if (!_layers.TryGetValue(key, out var mounted))
            throw new InvalidOperationException($"the soci backend serves no layer at {mountpoint} to id-map");
        var target = Path.Combine(Path.GetDirectoryName(key)!, "idmap", SafeName(activeLayerId));
        if (_views.ContainsKey(target)) return target;
        var created = !Directory.Exists(target);
        Directory.CreateDirectory(target);
        try
        {
            var root = LayerView.Build(mounted.Root, OwnerMapping.From(idMap), mounted.Content, _logger);
            var view = await FuseMount.MountAsync(target, root, MountOptions(mounted.Layer.Digest), _logger, cancellationToken).ConfigureAwait(false);
            if (!_views.TryAdd(target, view))
            {
                await view.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"an id-mapped view of {mountpoint} for {activeLayerId} is already mounted");
            }
        }
        catch
        {
            if (created) Directory.Delete(target);
            throw;
        }
        SociLog.IdMappedViewMounted(_logger, mounted.Layer.Digest, target);
        return target;
    }

    /// <inheritdoc />
    public Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken)
    {
        indexes.Forget(imageDigest);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The daemon is stopping: layers a FUSE keeper holds stay mounted for the next daemon to resume (running containers
    /// keep reading them); views and layers no keeper holds are unmounted.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _views.Keys) await UnmountAsync(key, CancellationToken.None).ConfigureAwait(false);
        foreach (var mounted in _layers.Values) await mounted.Mount.LeaveToKeeperAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<Ztoc> FetchZtocAsync(ImageReference repository, OciDescriptor ztocDescriptor, CancellationToken cancellationToken)
    {
        var blob = new Descriptor { MediaType = ztocDescriptor.MediaType, Digest = ztocDescriptor.Digest, Size = ztocDescriptor.Size };
        var bytes = await registry.GetBlobAsync(repository, blob, MaxZtocSize, cancellationToken).ConfigureAwait(false);
        try
        {
            return ZtocSerializer.Deserialize(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"zTOC {ztocDescriptor.Digest} is invalid: {e.Message}", e);
        }
    }

    /// <summary>
    /// The trees of the layers below <paramref name="layerDigest"/> that this backend serves, nearest first, in the index's
    /// layer order (image-layer order; every lazily served layer has a zTOC there). The Prepare labels cannot tell: their
    /// layer lists start at the layer being prepared. containerd prepares an image's layers bottom-up, and the host
    /// remounts them in that order, so lazily served lowers are mounted already.
    /// </summary>
    private List<LayerInode> LowerTrees(SociIndexManifest index, string layerDigest)
    {
        var order = index.Ztocs.Select(z => z.Annotation(SociAnnotations.ImageLayerDigest)).ToList();
        var lowers = new List<LayerInode>();
        for (var i = order.IndexOf(layerDigest) - 1; i >= 0; i--)
        {
            if (_layers.Values.FirstOrDefault(l => l.Layer.Digest == order[i]) is { } lower) lowers.Add(lower.Root);
        }
        return lowers;
    }

    /// <summary>The layer's descriptor from the image manifest, or (with an explicit index and no manifest) from the zTOC's annotations.</summary>
    private static Descriptor LayerDescriptor(DiscoveredIndex image, OciDescriptor ztocDescriptor, Ztoc ztoc, string layerDigest)
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

    private FuseMountOptions MountOptions(string layerDigest) => new()
    {
        FsName = layerDigest,
        Subtype = "pluggable-soci",
        AttributeTimeout = TimeSpan.FromSeconds(options.Fuse.AttrTimeout),
        EntryTimeout = TimeSpan.FromSeconds(options.Fuse.EntryTimeout),
        NegativeEntryTimeout = TimeSpan.FromSeconds(options.Fuse.NegativeTimeout),
        ReadOnly = true,
        // Set by the daemon when it runs a FUSE keeper: the mount then survives a daemon crash or upgrade.
        Keeper = FuseKeeperClient.FromEnvironment(),
        // At least two: reads of already fetched spans inflate them synchronously on the worker, and one such
        // read must not hold up the metadata requests of the containers starting on this layer.
        Workers = Math.Max(2, Environment.ProcessorCount / 2),
    };

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private static string SafeName(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
