using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    private readonly TargetGate _targets = new();

    /// <summary>
    /// SOCI's remote Prepare: make the layer available through the file system (lazily, then by parallel pull, then locally),
    /// commit it under <paramref name="target"/> and answer AlreadyExists; or hand the active snapshot back to containerd,
    /// which then fetches and applies the layer itself.
    /// </summary>
    private async Task<IReadOnlyList<MountSpec>> PrepareImageLayerAsync(SnapshotRecord record, string key, string parent, string target,
        IReadOnlyDictionary<string, string> labels, string? @namespace, CancellationToken cancellationToken)
    {
        var mounts = OverlayMounts.For(record, _layout, _features);
        var layer = new LayerRequest
        {
            Mountpoint = _layout.UpperPath(record.Id),
            Key = key,
            Namespace = @namespace ?? SnapshotKeys.NamespaceOf(key) ?? "",
            Labels = labels,
        };
        using var scope = _logger.BeginScope(new Dictionary<string, object?>
        {
            ["Key"] = key,
            ["Target"] = target,
            ["LayerDigest"] = layer.LayerDigest,
            ["ImageReference"] = layer.ImageReference,
        });

        // Concurrent pulls of one chain: the first prepares the layer, the others then find it committed.
        using var gate = await _targets.EnterAsync(target, cancellationToken);
        if (await TargetExistsAsync(target, cancellationToken))
        {
            // Another namespace (or an earlier attempt) committed this layer already.
            await RemoveAsync(key, cleanImage: false, CancellationToken.None);
            throw SnapshotterException.AlreadyExists($"target snapshot \"{target}\": already exists");
        }
        if (string.IsNullOrEmpty(layer.Namespace))
        {
            await RemoveAsync(key, cleanImage: false, CancellationToken.None);
            throw SnapshotterException.NoNamespace($"namespace is required to prepare image layer {target}: no namespace in the request or the key \"{key}\"");
        }

        if (!layer.DescribesImageLayer)
        {
            // `ctr image pull` names the target but not the image: no backend could fetch it.
            _logger.LogDebug("Prepare of {Target} names no image reference and layer digest; containerd pulls it", target);
            return mounts;
        }

        var plan = _planner.Plan(layer);
        var started = _time.GetTimestamp();
        var mounted = await MountLayerAsync(layer, plan, mounts, cancellationToken);
        // The one place a Prepare's outcome is recorded (metrics: role, reason, backend, chain, duration).
        _prepareMetrics?.Record(new PrepareOutcome(mounted.Role, mounted.Reason,
            mounted.Result.Labels?.GetValueOrDefault(SnapshotLabels.Backend), plan.Labels.GetValueOrDefault(SnapshotLabels.Chain),
            _time.GetElapsedTime(started)));
        if (!mounted.Result.IsMounted)
        {
            return mounts;
        }

        var committedLabels = new Dictionary<string, string>(labels)
        {
            [SnapshotLabels.Remote] = SnapshotLabels.RemoteValue,
            [SnapshotLabels.BackendRole] = mounted.Role,
            [SnapshotLabels.Namespace] = layer.Namespace,
        };
        foreach (var (name, value) in plan.Labels)
        {
            committedLabels[name] = value;
        }
        foreach (var (name, value) in mounted.Result.Labels ?? new Dictionary<string, string>())
        {
            committedLabels[name] = value;
        }
        try
        {
            // The layer's size is not measured: a lazily mounted layer would have to be walked over the network.
            await _store.TransactAsync(table => table.Commit(key, target, committedLabels, default, Now), cancellationToken);
        }
        catch (SnapshotterException e) when (e.Kind == SnapshotErrorKind.AlreadyExists)
        {
            await UnmountLayerAsync(layer.Mountpoint, mounted.Role);
            await RemoveAsync(key, cleanImage: false, CancellationToken.None);
        }
        _logger.LogInformation("prepared layer {LayerDigest} of {ImageReference} by {Role} as {Target}",
            layer.LayerDigest, layer.ImageReference, mounted.Role, target);
        throw SnapshotterException.AlreadyExists($"target snapshot \"{target}\": already exists");
    }

    /// <summary>Which role prepared the layer (<see cref="PrepareOutcome.Containerd"/> when none did) and why lazy loading did not.</summary>
    private sealed record RoleResult(string Role, MountResult Result, string Reason = PrepareOutcome.NoReason);

    private static RoleResult Containerd(string reason) => new(PrepareOutcome.Containerd, MountResult.Defer(reason), reason);

    private async Task<RoleResult> MountLayerAsync(LayerRequest layer, LayerPlan plan, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        var options = plan.Options;
        var canLazy = plan.Capabilities.HasFlag(BackendCapabilities.Lazy);
        var canParallel = plan.Capabilities.HasFlag(BackendCapabilities.Parallel);
        var canLocal = plan.Capabilities.HasFlag(BackendCapabilities.Local);
        var noIndex = false;

        var tooSmall = layer.LayerSize is { } size && size < options.MinLayerSize;
        // Why the layer is not served lazily, for metrics: the first reason that applies.
        var reason = !canLazy ? PrepareOutcome.NoLazyBackend
            : options.ParallelPullUnpack ? PrepareOutcome.ParallelPullUnpack
            : tooSmall ? PrepareOutcome.TooSmall
            : PrepareOutcome.NoReason;
        if (canLazy && !options.ParallelPullUnpack && !tooSmall)
        {
            var lazy = await TryAsync("lazy", layer, () => _fileSystem.MountAsync(layer, cancellationToken), cancellationToken);
            switch (lazy?.Outcome)
            {
                case MountOutcome.Mounted:
                    return new RoleResult("lazy", lazy.Value);
                case MountOutcome.DeferToContainerRuntime:
                    _logger.LogInformation("lazy backend defers layer {LayerDigest} to containerd: {Reason}", layer.LayerDigest, lazy.Value.Reason);
                    return Containerd(PrepareOutcome.Deferred);
                case MountOutcome.NoIndex:
                    noIndex = true;
                    reason = PrepareOutcome.NoIndex;
                    break;
                case MountOutcome.NoZtoc:
                    _logger.LogDebug("layer {LayerDigest} has no zTOC; unpacking it locally", layer.LayerDigest);
                    reason = PrepareOutcome.NoZtoc;
                    break;
                case null:
                    reason = PrepareOutcome.Error;
                    break;
            }
        }

        var parallelWanted = options.ParallelPullUnpack || (noIndex && options.ParallelPullAsFallback);
        if (noIndex && !parallelWanted)
        {
            _logger.LogInformation("image {ImageReference} has no index; containerd pulls layer {LayerDigest}", layer.ImageReference, layer.LayerDigest);
            return Containerd(reason);
        }
        if (canParallel && (parallelWanted || !canLocal))
        {
            var parallel = await TryAsync("parallel", layer, () => _fileSystem.MountParallelAsync(layer, mounts, cancellationToken), cancellationToken);
            if (parallel is { IsMounted: true } done)
            {
                return new RoleResult("parallel", done, reason);
            }
            if (parallel?.Outcome == MountOutcome.DeferToContainerRuntime)
            {
                return Containerd(PrepareOutcome.Deferred);
            }
        }
        if (canLocal)
        {
            var local = await TryAsync("local", layer, () => _fileSystem.MountLocalAsync(layer, mounts, cancellationToken), cancellationToken);
            if (local is { IsMounted: true } done)
            {
                return new RoleResult("local", done, reason);
            }
        }
        _logger.LogInformation("no backend prepared layer {LayerDigest}; containerd pulls it", layer.LayerDigest);
        return Containerd(canLazy || canParallel || canLocal ? PrepareOutcome.Error : PrepareOutcome.NoBackend);
    }

    /// <summary>Runs one backend operation; a failure is logged and leaves the mount point empty for the next one.</summary>
    private async Task<MountResult?> TryAsync(string role, LayerRequest layer, Func<Task<MountResult>> operation, CancellationToken cancellationToken)
    {
        MountResult? result = null;
        try
        {
            result = await operation();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(e, "{Role} preparation of layer {LayerDigest} failed", role, layer.LayerDigest);
        }
        finally
        {
            if (result is not { IsMounted: true })
            {
                await ResetMountpointAsync(layer.Mountpoint, role);
            }
        }
        return result;
    }

    // The contract says a backend cleans up after itself; make sure anyway, since containerd will apply into this directory.
    private async Task ResetMountpointAsync(string mountpoint, string role)
    {
        await UnmountLayerAsync(mountpoint, role);
        if (!Directory.Exists(mountpoint))
        {
            Directory.CreateDirectory(mountpoint);
            return;
        }
        foreach (var entry in new DirectoryInfo(mountpoint).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    private async Task UnmountLayerAsync(string mountpoint, string role)
    {
        if (role == "lazy" && MountTable.IsMountPoint(mountpoint))
        {
            try
            {
                await _fileSystem.UnmountAsync(mountpoint, CancellationToken.None);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "backend failed to unmount {Mountpoint}; forcing it", mountpoint);
            }
        }
        MountTable.UnmountAllUnder(mountpoint);
    }

    private Task<bool> TargetExistsAsync(string target, CancellationToken cancellationToken) =>
        _store.TransactAsync(table => table.TryGet(target) is not null, cancellationToken);
}
