using System.Diagnostics;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>The core's view of the policy, and the operations on layers a backend prepared.</summary>
internal sealed partial class ChainPreparer
{
    async Task<LayerPreparation> ILayerPreparer.PrepareAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await PrepareLayerAsync(layer, mounts, cancellationToken);
        // The one place a Prepare's outcome is recorded (metrics: role, reason, backend, chain, duration).
        _metrics?.Record(PrepareOutcome.From(result, Stopwatch.GetElapsedTime(started)));
        return new LayerPreparation(result.PreparedBy is not null, Labels(layer, result), result.ToString());
    }

    /// <summary>What a layer records of its preparation: its chain, every try (<see cref="HostLabels.Why"/>) and who made it.</summary>
    public static Dictionary<string, string> Labels(LayerRequest layer, ChainResult result)
    {
        var labels = new Dictionary<string, string>(result.BackendLabels ?? new Dictionary<string, string>())
        {
            [SnapshotLabels.Chain] = result.Chain,
            [HostLabels.Why] = WhyLabel.Format(result),
        };
        if (layer.ImageReference is { } image)
        {
            labels[HostLabels.Image] = image;
        }
        if (layer.LayerDigest is { } digest)
        {
            labels[HostLabels.Layer] = digest;
        }
        if (result.PreparedBy is { } by)
        {
            labels[SnapshotLabels.Backend] = by.Backend;
            labels[SnapshotLabels.BackendRole] = by.Role.Label();
        }
        return labels;
    }

    public async Task<bool> RestoreAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        if (BackendRoles.FromLabel(layer.Labels.GetValueOrDefault(SnapshotLabels.BackendRole)) != BackendRole.Lazy)
        {
            return false;
        }
        var backend = Owner(layer.Labels, BackendRole.Lazy)
            ?? throw new InvalidOperationException($"no loaded backend serves layers lazily (recorded backend: {layer.Labels.GetValueOrDefault(SnapshotLabels.Backend) ?? "none"})");
        var result = await backend.FileSystem.MountAsync(layer, cancellationToken);
        if (!result.IsMounted)
        {
            throw new InvalidOperationException($"{backend.Name}: {result.Outcome}: {result.Reason}");
        }
        _mountedBy[layer.Mountpoint] = backend;
        await backend.FileSystem.CheckAsync(layer, cancellationToken);
        return true;
    }

    public async Task<string> MapIdsAsync(string layerPath, IReadOnlyDictionary<string, string> layerLabels, string activeLayerId, IdMap idMap,
        CancellationToken cancellationToken)
    {
        if (BackendRoles.FromLabel(layerLabels.GetValueOrDefault(SnapshotLabels.BackendRole)) == BackendRole.Lazy)
        {
            var owner = _mountedBy.GetValueOrDefault(layerPath) ?? Owner(layerLabels, BackendRole.Lazy)
                ?? throw SnapshotterException.FailedPrecondition($"no loaded backend serves the lazily mounted layer {layerPath}");
            var view = await owner.FileSystem.IdMapMountAsync(layerPath, activeLayerId, idMap, cancellationToken);
            _mountedBy[view] = owner;
            return view;
        }
        // An unpacked layer (by a backend or by containerd) is plain files: the local backend of its chain copies them.
        var chain = _chains.FirstOrDefault(c => c.Name == layerLabels.GetValueOrDefault(SnapshotLabels.Chain)) ?? _default;
        var local = chain.Playing(BackendRole.Local).FirstOrDefault()
            ?? throw SnapshotterException.FailedPrecondition($"id-mapping layer {layerPath} needs a backend with the local role in chain {chain.Name}");
        var localView = await local.FileSystem.IdMapMountLocalAsync(layerPath, activeLayerId, idMap, cancellationToken);
        _mountedBy[localView] = local; // it may be a mount: its unmount goes to the backend that made it
        return localView;
    }

    public async Task UnmountAsync(string mountpoint, CancellationToken cancellationToken)
    {
        if (_mountedBy.TryRemove(mountpoint, out var owner))
        {
            await owner.FileSystem.UnmountAsync(mountpoint, cancellationToken);
            return;
        }
        // Not mounted in this run: any lazy backend may own it; each ignores what is not its own.
        // One failing backend must not keep the others from releasing what they hold: all are asked, then failures thrown.
        await ForEachBackendAsync(_backends.Values.Where(b => b.Plays(BackendRole.Lazy)), b => b.FileSystem.UnmountAsync(mountpoint, cancellationToken));
    }

    public Task CleanImageAsync(string imageKey, CancellationToken cancellationToken) =>
        ForEachBackendAsync(_backends.Values, b => b.FileSystem.CleanImageAsync(imageKey, cancellationToken));

    public void ContainerStarting(string key) => TellObservers(key, removed: false);

    public void ContainerRemoved(string key) => TellObservers(key, removed: true);

    private void TellObservers(string key, bool removed)
    {
        foreach (var backend in _backends.Values)
        {
            if (backend.FileSystem is not IContainerStartObserver observer) continue;
            try
            {
                if (removed) observer.ContainerRemoved(key);
                else observer.ContainerStarting(key);
            }
            catch (Exception e)
            {
                // Only a hint for the backend's background work: the Prepare (or Remove) goes on.
                HostLog.ContainerEventNotSeen(_logger, e, backend.Name, removed ? "the removal of a container" : "a container starting", key);
            }
        }
    }

    private static async Task ForEachBackendAsync(IEnumerable<ChainBackend> backends, Func<ChainBackend, Task> action)
    {
        List<Exception>? failures = null;
        foreach (var backend in backends)
        {
            try
            {
                await action(backend);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                (failures ??= []).Add(new InvalidOperationException($"backend {backend.Name}: {e.Message}", e));
            }
        }
        if (failures is { Count: 1 }) throw failures[0];
        if (failures is not null) throw new AggregateException(failures);
    }

    // The backend a layer records, if loaded and playing the role; else the first of its chain (or the default chain) that does.
    private ChainBackend? Owner(IReadOnlyDictionary<string, string> labels, BackendRole role)
    {
        if (labels.TryGetValue(SnapshotLabels.Backend, out var name) && _backends.TryGetValue(name, out var recorded) && recorded.Plays(role))
        {
            return recorded;
        }
        var chain = _chains.FirstOrDefault(c => c.Name == labels.GetValueOrDefault(SnapshotLabels.Chain)) ?? _default;
        return chain.Playing(role).FirstOrDefault() ?? _backends.Values.FirstOrDefault(b => b.Plays(role));
    }
}
