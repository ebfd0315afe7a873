using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    /// <summary>
    /// After a restart: unmount what a previous run left mounted under snapshots/ (dead FUSE servers included), except
    /// the FUSE mounts whose connection the keeper holds (running containers still use them; the backend resumes them),
    /// then mount every lazily served snapshot again. A snapshot that cannot be mounted fails startup, or with
    /// <see cref="SnapshotterOptions.AllowInvalidMountsOnRestart"/> is logged and left empty. Kept connections no
    /// backend resumed are released and unmounted last.
    /// </summary>
    public async Task RestoreRemoteSnapshotsAsync(FuseKeeperClient? keeper, CancellationToken cancellationToken)
    {
        if (Directory.Exists(_layout.SnapshotsDirectory))
        {
            var kept = await KeptMountPointsAsync(keeper, cancellationToken);
            foreach (var mountPoint in MountTable.MountsUnder(_layout.SnapshotsDirectory))
            {
                if (kept.Contains(mountPoint))
                {
                    HostLog.LeavingKeptMount(_logger, mountPoint);
                    continue;
                }
                HostLog.UnmountingStaleMount(_logger, mountPoint);
                MountTable.Unmount(mountPoint);
            }
        }

        var all = await _store.TransactAsync(table => table.All().Select(info => (info, table.Get(info.Name).Id)).ToList(), cancellationToken);
        foreach (var (info, id) in all)
        {
            if (!info.Labels.ContainsKey(SnapshotLabels.Remote))
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
            string? failure = null;
            try
            {
                if (!await _preparer.RestoreAsync(layer, cancellationToken))
                {
                    continue; // unpacked: plain files, nothing to serve
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure = e.Message;
            }
            if (failure is null)
            {
                HostLog.RemoteSnapshotRestored(_logger, info.Name);
                continue;
            }
            if (!_options.AllowInvalidMountsOnRestart)
            {
                throw new InvalidOperationException($"failed to restore remote snapshot {info.Name}: {failure}");
            }
            HostLog.RemoteSnapshotNotRestored(_logger, info.Name, failure);
            // A kept connection nobody serves would hang every probe of the mount point: end it first.
            await ReleaseKeptAsync(keeper, layer.Mountpoint, cancellationToken);
            await MountpointReset.ResetAsync(layer.Mountpoint, mountpoint => _preparer.UnmountAsync(mountpoint, CancellationToken.None), _logger);
        }
        await ReleaseUnresumedAsync(keeper, cancellationToken);
    }

    private async Task<HashSet<string>> KeptMountPointsAsync(FuseKeeperClient? keeper, CancellationToken cancellationToken)
    {
        if (keeper is null)
        {
            return [];
        }
        try
        {
            return (await keeper.ListAsync(cancellationToken)).Select(c => c.MountPoint).ToHashSet(StringComparer.Ordinal);
        }
        catch (IOException e)
        {
            HostLog.KeeperConnectionsUnlisted(_logger, e.Message);
            return [];
        }
    }

    private async Task ReleaseKeptAsync(FuseKeeperClient? keeper, string mountpoint, CancellationToken cancellationToken)
    {
        try
        {
            if (keeper is not null)
            {
                await keeper.ReleaseAsync(mountpoint, cancellationToken);
            }
        }
        catch (IOException e)
        {
            HostLog.KeptConnectionNotReleased(_logger, mountpoint, e.Message);
        }
    }

    /// <summary>Connections of a previous run that no backend took back will never be served again: end them and unmount.</summary>
    private async Task ReleaseUnresumedAsync(FuseKeeperClient? keeper, CancellationToken cancellationToken)
    {
        if (keeper is null)
        {
            return;
        }
        IReadOnlyList<KeptConnection> orphans;
        try
        {
            orphans = await keeper.ReleaseOrphansAsync(cancellationToken);
        }
        catch (IOException e)
        {
            HostLog.UnresumedConnectionsNotReleased(_logger, e.Message);
            return;
        }
        foreach (var orphan in orphans)
        {
            HostLog.KeptMountUnresumed(_logger, orphan.MountPoint, orphan.Identity);
            if (MountTable.IsMountPoint(orphan.MountPoint))
            {
                MountTable.Unmount(orphan.MountPoint);
            }
        }
    }
}
