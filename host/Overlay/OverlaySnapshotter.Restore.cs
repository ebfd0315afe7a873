using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    /// <summary>
    /// After a restart: unmount what a previous run left mounted under snapshots/ (dead FUSE servers included), then mount
    /// every lazily served snapshot again. A snapshot that cannot be mounted fails startup, or with
    /// <see cref="SnapshotterOptions.AllowInvalidMountsOnRestart"/> is logged and left empty.
    /// </summary>
    public async Task RestoreRemoteSnapshotsAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(_layout.SnapshotsDirectory))
        {
            foreach (var mountPoint in MountTable.MountsUnder(_layout.SnapshotsDirectory))
            {
                _logger.LogInformation("unmounting stale mount {Mountpoint}", mountPoint);
                MountTable.Unmount(mountPoint);
            }
        }

        var all = await _store.TransactAsync(table => table.All().Select(info => (info, table.Get(info.Name).Id)).ToList(), cancellationToken);
        foreach (var (info, id) in all)
        {
            if (!info.Labels.ContainsKey(SnapshotLabels.Remote)
                || !info.Labels.TryGetValue(SnapshotLabels.BackendRole, out var role) || role != "lazy")
            {
                continue;
            }
            var layer = new LayerRequest
            {
                Mountpoint = _layout.UpperPath(id),
                Key = info.Name,
                Namespace = info.Labels.GetValueOrDefault(SnapshotLabels.Namespace, ""),
                Labels = info.Labels,
            };
            string? failure;
            try
            {
                var result = await _fileSystem.MountAsync(layer, cancellationToken);
                failure = result.IsMounted ? null : $"{result.Outcome}: {result.Reason}";
                if (failure is null)
                {
                    await _fileSystem.CheckAsync(layer, cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure = e.Message;
            }
            if (failure is null)
            {
                _logger.LogInformation("restored remote snapshot {Name}", info.Name);
                continue;
            }
            if (!_options.AllowInvalidMountsOnRestart)
            {
                throw new InvalidOperationException($"failed to restore remote snapshot {info.Name}: {failure}");
            }
            _logger.LogWarning("failed to restore remote snapshot {Name}: {Failure}; remove this snapshot manually", info.Name, failure);
            await ResetMountpointAsync(layer.Mountpoint, "lazy");
        }
    }
}
