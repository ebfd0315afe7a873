using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.LazyLayers.Mounts;

/// <summary>
/// The layers a lazy backend serves, whatever its format: serving a tree over FUSE, promoting a layer to its local copy
/// once the <see cref="BackgroundFill"/> made it local (a read-only bind stacked on the mount point), id-mapped views,
/// health checks, unmounting and freeing, and leaving kept mounts to the FUSE keeper when the daemon stops.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "its SemaphoreSlim never makes a wait handle: nothing to release")]
public sealed class LayerMounts
{
    private readonly string _backend;
    private readonly LayerStore _store;
    private readonly BackgroundFill _fill;
    private readonly SpanCache _cache;
    private readonly RegistryClient _registry;
    private readonly Func<string, FuseMountOptions> _mountOptions;
    private readonly LayerMountLog _log;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MountedLayer> _layers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FuseMount> _views = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _mountLock = new(1, 1); // orders binds and unmounts of one mount point

    /// <summary>
    /// Takes over <paramref name="fill"/>'s <see cref="BackgroundFill.LayerLocal"/>; <paramref name="backend"/> names the backend in
    /// errors ("the soci backend serves no layer at ..."), <paramref name="mountOptions"/> gives the FUSE options for a layer digest.
    /// </summary>
    public LayerMounts(string backend, RegistryClient registry, LayerStore store, BackgroundFill fill, SpanCache cache,
        Func<string, FuseMountOptions> mountOptions, LayerMountLog log, ILogger logger)
    {
        (_backend, _registry, _store, _fill, _cache, _mountOptions, _log, _logger) = (backend, registry, store, fill, cache, mountOptions, log, logger);
        _fill.LayerLocal = OnLayerLocalAsync;
    }

    /// <summary>How many layers are served.</summary>
    public int Count => _layers.Count;

    /// <summary>The layer served at <paramref name="mountpoint"/>, if any.</summary>
    public bool TryGet(string mountpoint, out MountedLayer mounted) => _layers.TryGetValue(Normalize(mountpoint), out mounted!);

    /// <summary>The trees, contents and nodes every mount of a layer digest shares; forgotten with the layer's last mount.</summary>
    public SharedLayers Shared { get; } = new();

    /// <summary>
    /// Serves <paramref name="chainTree"/> (the chain's view of <paramref name="shared"/>'s tree, see <see cref="ChainTree"/>)
    /// over FUSE at <paramref name="mountpoint"/> (normalized), with <paramref name="shared"/>'s nodes and content.
    /// </summary>
    public async Task<MountedLayer> ServeAsync(string mountpoint, ImageReference repository, Descriptor descriptor, SharedLayer shared, LayerInode chainTree,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(descriptor);
        try
        {
            var root = LayerView.ForChain(chainTree, shared.Nodes);
            var mount = await FuseMount.MountAsync(mountpoint, root, _mountOptions(descriptor.Digest), _logger, cancellationToken).ConfigureAwait(false);
            var mounted = new MountedLayer(mountpoint, mount, chainTree, shared.Content, repository, descriptor);
            if (!_layers.TryAdd(mountpoint, mounted))
            {
                await mount.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"{mountpoint} already serves a layer");
            }
            return mounted;
        }
        catch
        {
            ForgetUnusedShared(repository, descriptor.Digest);
            throw;
        }
    }

    /// <summary>
    /// Forgets the shared layer of <paramref name="digest"/> from <paramref name="repository"/> unless a served mount uses
    /// it: a mount that failed after building it must not keep its tree for good.
    /// </summary>
    public void ForgetUnusedShared(ImageReference repository, string digest)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (!_layers.Values.Any(l => l.Layer.Digest == digest && SameRepository(l.Repository, repository))) Shared.Forget(repository, digest);
    }

    private static bool SameRepository(ImageReference a, ImageReference b) =>
        a.Registry == b.Registry && a.Repository == b.Repository;

    /// <summary>The trees of the served layers among <paramref name="lowerDigests"/> (nearest first).</summary>
    public List<LayerInode> LowerTrees(IEnumerable<string> lowerDigests)
    {
        var lowers = new List<LayerInode>();
        foreach (var digest in lowerDigests)
        {
            if (_layers.Values.FirstOrDefault(l => l.Layer.Digest == digest) is { } lower) lowers.Add(lower.Root);
        }
        return lowers;
    }

    /// <summary>Switches a mounted layer to its local copy: the FUSE mount reads its files from there, and the copy is bound on top.</summary>
    public async Task PromoteAsync(MountedLayer mounted, string fsPath)
    {
        ArgumentNullException.ThrowIfNull(mounted);
        await _mountLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (mounted.Bound || !_layers.TryGetValue(mounted.Mountpoint, out var current) || current != mounted) return;
            mounted.Content.LocalRoot = fsPath;
            if (!BindMount.IsBound(fsPath, mounted.Mountpoint)) BindMount.MountReadOnly(fsPath, mounted.Mountpoint);
            mounted.Bound = true;
            _cache.Evict(mounted.Layer.Digest);
            _log.LayerPromoted(_logger, mounted.Layer.Digest, mounted.Mountpoint);
        }
        catch (IOException e)
        {
            _log.PromotionFailed(_logger, mounted.Layer.Digest, mounted.Mountpoint, e.Message); // the FUSE mount keeps serving
        }
        finally
        {
            _mountLock.Release();
        }
    }

    /// <summary>Fails when the layer at <paramref name="mountpoint"/> is not served, its FUSE mount ended, or (not yet local) the registry lost it.</summary>
    public async Task CheckAsync(string mountpoint, CancellationToken cancellationToken)
    {
        var key = Normalize(mountpoint);
        if (!_layers.TryGetValue(key, out var mounted))
            throw new InvalidOperationException($"the {_backend} backend serves no layer at {key}");
        if (mounted.Mount.Completion.IsCompleted)
            throw new IOException($"the FUSE mount of layer {mounted.Layer.Digest} at {key} no longer serves");
        if (mounted.Content.LocalRoot is not null) return; // every byte is local: the registry is not needed
        if (!await _registry.BlobExistsAsync(mounted.Repository, mounted.Layer.ParsedDigest, cancellationToken).ConfigureAwait(false))
            throw new IOException($"the registry no longer has layer {mounted.Layer.Digest} of {mounted.Repository}");
    }

    /// <summary>Unmounts a served layer (freeing its local copy once no snapshot uses it), an id-mapped view, or a mount left by a previous run.</summary>
    public async Task UnmountAsync(string mountpoint)
    {
        var key = Normalize(mountpoint);
        if (_layers.TryRemove(key, out var mounted))
        {
            await StopServingAsync(mounted).ConfigureAwait(false);
            _log.LayerUnmounted(_logger, mounted.Layer.Digest, key);
            var digest = mounted.Layer.Digest;
            if (!_layers.Values.Any(l => l.Layer.Digest == digest)) _cache.Evict(digest);
            ForgetUnusedShared(mounted.Repository, digest); // the layer's last mount from that repository: its tree goes
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

    /// <summary>Frees the local copies of the image's layers no snapshot uses any more.</summary>
    public async Task FreeUnusedLayersOfAsync(string imageKey)
    {
        foreach (var digest in _store.UnusedLayersOf(imageKey)) await FreeAsync(digest).ConfigureAwait(false);
    }

    /// <summary>Mounts a second view of the served layer's tree with owners shifted by <paramref name="idMap"/>, next to the layer's mount point.</summary>
    public async Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMap);
        var key = Normalize(mountpoint);
        if (!_layers.TryGetValue(key, out var mounted))
            throw new InvalidOperationException($"the {_backend} backend serves no layer at {mountpoint} to id-map");
        var target = Path.Combine(Path.GetDirectoryName(key)!, "idmap", SafeName(activeLayerId));
        if (_views.ContainsKey(target)) return target;
        var created = !Directory.Exists(target);
        Directory.CreateDirectory(target);
        try
        {
            var root = LayerView.Build(mounted.Root, OwnerMapping.From(idMap), mounted.Content, _logger);
            var view = await FuseMount.MountAsync(target, root, _mountOptions(mounted.Layer.Digest), _logger, cancellationToken).ConfigureAwait(false);
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
        _log.IdMappedViewMounted(_logger, mounted.Layer.Digest, target);
        return target;
    }

    /// <summary>
    /// The daemon is stopping: the fill stops, layers a FUSE keeper holds stay mounted (their local copy's bind too) for
    /// the next daemon to resume; views and layers no keeper holds are unmounted. The store and its complete layers stay.
    /// </summary>
    public async Task StopAsync()
    {
        await _fill.DisposeAsync().ConfigureAwait(false);
        foreach (var key in _views.Keys) await UnmountAsync(key).ConfigureAwait(false);
        foreach (var key in _layers.Keys)
        {
            if (!_layers.TryRemove(key, out var mounted)) continue;
            if (mounted.Mount.IsKept) await mounted.Mount.LeaveToKeeperAsync(CancellationToken.None).ConfigureAwait(false);
            else await StopServingAsync(mounted).ConfigureAwait(false);
        }
    }

    /// <summary>A mount point as the mounts are keyed: absolute, without a trailing separator.</summary>
    public static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private async Task OnLayerLocalAsync(string digest, string fsPath)
    {
        foreach (var mounted in _layers.Values.Where(l => l.Layer.Digest == digest).ToList()) await PromoteAsync(mounted, fsPath).ConfigureAwait(false);
    }

    private async Task StopServingAsync(MountedLayer mounted)
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
                    LazyLayersLog.UnbindFailed(_logger, e, mounted.Layer.Digest, mounted.Mountpoint);
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

    private static string SafeName(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
