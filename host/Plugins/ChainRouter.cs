using System.Collections.Concurrent;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// The file system the core sees: it picks a chain per image (the first whose image patterns match, else the default chain)
/// and runs each operation through that chain's backends in order. A mounted layer is labelled with the backend and chain
/// that made it; later operations on it go to that backend.
/// </summary>
internal sealed class ChainRouter : IFileSystem, ILayerPlanner
{
    private readonly IReadOnlyList<Chain> _chains;
    private readonly Chain _default;
    private readonly SnapshotterOptions _options;
    private readonly IReadOnlyDictionary<string, IFileSystem> _backends;
    private readonly ConcurrentDictionary<string, IFileSystem> _mountedBy = new(StringComparer.Ordinal);

    public ChainRouter(IReadOnlyList<Chain> chains, string defaultChain, SnapshotterOptions options)
    {
        _chains = chains;
        _default = chains.Single(c => c.Name == defaultChain);
        _options = options;
        _backends = chains.SelectMany(c => c.Backends).DistinctBy(b => b.Name).ToDictionary(b => b.Name, b => b.FileSystem);
        Capabilities = _backends.Values.Aggregate(BackendCapabilities.None, (all, fs) => all | fs.Capabilities);
    }

    public BackendCapabilities Capabilities { get; }

    /// <summary>The chain that serves an image.</summary>
    public Chain Select(string? imageReference) =>
        imageReference is null ? _default
            : _chains.FirstOrDefault(c => c.Images.Any(p => p.Matches(imageReference))) ?? _default;

    public LayerPlan Plan(LayerRequest layer)
    {
        var chain = Select(layer.ImageReference);
        return new LayerPlan(chain.EffectiveOptions(_options), chain.Capabilities,
            new Dictionary<string, string> { [SnapshotLabels.Chain] = chain.Name });
    }

    public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        // On restart, a snapshot goes back to the backend that mounted it.
        if (layer.Labels.TryGetValue(SnapshotLabels.Backend, out var recorded) && _backends.TryGetValue(recorded, out var owner))
        {
            return Remember(layer, recorded, owner, await owner.MountAsync(layer, cancellationToken));
        }
        var noIndex = MountResult.NoIndex("the chain has no lazy backend");
        Exception? failure = null;
        foreach (var (name, backend) in Select(layer.ImageReference).With(BackendCapabilities.Lazy))
        {
            try
            {
                var result = await backend.MountAsync(layer, cancellationToken);
                switch (result.Outcome)
                {
                    case MountOutcome.Mounted: return Remember(layer, name, backend, result);
                    case MountOutcome.NoZtoc: return result;
                    case MountOutcome.NoIndex: noIndex = result; break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure ??= e;
            }
        }
        if (failure is not null)
        {
            throw failure;
        }
        return noIndex;
    }

    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        (_mountedBy.GetValueOrDefault(layer.Mountpoint) ?? OwnerOf(layer)).CheckAsync(layer, cancellationToken);

    public async Task UnmountAsync(string mountpoint, CancellationToken cancellationToken)
    {
        if (_mountedBy.TryRemove(mountpoint, out var owner))
        {
            await owner.UnmountAsync(mountpoint, cancellationToken);
            return;
        }
        // Not mounted in this run: any lazy backend may own it; each ignores what is not its own.
        foreach (var backend in _backends.Values.Where(b => b.Capabilities.HasFlag(BackendCapabilities.Lazy)))
        {
            await backend.UnmountAsync(mountpoint, cancellationToken);
        }
    }

    public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        FirstMountedAsync(layer, BackendCapabilities.Local, fs => fs.MountLocalAsync(layer, mounts, cancellationToken));

    public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        FirstMountedAsync(layer, BackendCapabilities.Parallel, fs => fs.MountParallelAsync(layer, mounts, cancellationToken));

    public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        (_mountedBy.GetValueOrDefault(mountpoint) ?? FirstWith(BackendCapabilities.Lazy)).IdMapMountAsync(mountpoint, activeLayerId, idMap, cancellationToken);

    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        FirstWith(BackendCapabilities.Local).IdMapMountLocalAsync(mountpoint, activeLayerId, idMap, cancellationToken);

    public async Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken)
    {
        foreach (var backend in _backends.Values)
        {
            await backend.CleanImageAsync(imageDigest, cancellationToken);
        }
    }

    /// <summary>Runs the chain's backends of one role in order until one mounts the layer (a failure moves on to the next).</summary>
    private async Task<MountResult> FirstMountedAsync(LayerRequest layer, BackendCapabilities role, Func<IFileSystem, Task<MountResult>> operation)
    {
        var last = MountResult.Defer($"the chain has no {role.ToString().ToLowerInvariant()} backend");
        Exception? failure = null;
        foreach (var (name, backend) in Select(layer.ImageReference).With(role))
        {
            try
            {
                var result = await operation(backend);
                if (result.IsMounted)
                {
                    return WithBackend(result, name);
                }
                last = result;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure ??= e;
            }
        }
        return failure is not null ? throw failure : last;
    }

    private MountResult Remember(LayerRequest layer, string name, IFileSystem backend, MountResult result)
    {
        if (!result.IsMounted)
        {
            return result;
        }
        _mountedBy[layer.Mountpoint] = backend;
        return WithBackend(result, name);
    }

    private static MountResult WithBackend(MountResult result, string name)
    {
        var labels = new Dictionary<string, string>(result.Labels ?? new Dictionary<string, string>())
        {
            [SnapshotLabels.Backend] = name,
        };
        return result with { Labels = labels };
    }

    private IFileSystem OwnerOf(LayerRequest layer) =>
        layer.Labels.TryGetValue(SnapshotLabels.Backend, out var name) && _backends.TryGetValue(name, out var backend)
            ? backend
            : FirstWith(BackendCapabilities.Lazy);

    private IFileSystem FirstWith(BackendCapabilities role) =>
        _backends.Values.FirstOrDefault(b => b.Capabilities.HasFlag(role))
        ?? throw new InvalidOperationException($"no plugin has the {role} role");
}
