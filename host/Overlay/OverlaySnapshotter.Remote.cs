using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    private readonly TargetGate _targets = new();

    /// <summary>
    /// SOCI's remote Prepare: the preparer makes the layer available at the new snapshot's directory and the core commits it
    /// under <paramref name="target"/> (the answer says so, and the gRPC adapter tells containerd AlreadyExists); or the
    /// preparer leaves the directory empty and the active snapshot goes back to containerd, which applies the layer itself.
    /// Either way the snapshot records the preparer's labels (who made it, and why the others did not).
    /// </summary>
    private async Task<PrepareResult> PrepareImageLayerAsync(SnapshotRecord record, string key, string target,
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
            await RemoveAsync(key, byContainerd: false, CancellationToken.None);
            return PrepareResult.Committed(target);
        }
        if (string.IsNullOrEmpty(layer.Namespace))
        {
            await RemoveAsync(key, byContainerd: false, CancellationToken.None);
            throw SnapshotterException.NoNamespace($"namespace is required to prepare image layer {target}: no namespace in the request or the key \"{key}\"");
        }

        var preparation = await _preparer.PrepareAsync(layer, mounts, cancellationToken);
        if (!preparation.IsPrepared)
        {
            HostLog.LayerPrepared(_logger, layer.LayerDigest, layer.ImageReference, preparation.Description);
            await _store.TransactAsync(table => table.AddLabels(key, preparation.Labels, Now), cancellationToken);
            return new PrepareResult(mounts);
        }

        var committedLabels = new Dictionary<string, string>(labels)
        {
            [SnapshotLabels.Remote] = SnapshotLabels.RemoteValue,
            [SnapshotLabels.Namespace] = layer.Namespace,
        };
        foreach (var (name, value) in preparation.Labels)
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
            await MountpointReset.ResetAsync(layer.Mountpoint, mountpoint => _preparer.UnmountAsync(mountpoint, CancellationToken.None), _logger);
            await RemoveAsync(key, byContainerd: false, CancellationToken.None);
        }
        HostLog.LayerPreparedAndCommitted(_logger, layer.LayerDigest, layer.ImageReference, preparation.Description, target);
        return PrepareResult.Committed(target);
    }

    private Task<bool> TargetExistsAsync(string target, CancellationToken cancellationToken) =>
        _store.TransactAsync(table => table.TryGet(target) is not null, cancellationToken);
}
