using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Server;

namespace PluggableSnapshotter.Fuse;

/// <summary>The keeper side of a mount: deposit after INIT, resume instead of mounting, release when gone for good.</summary>
public sealed partial class FuseMount
{
    private FuseKeeperClient? _keeper; // set while the keeper holds this mount's connection
    private int _leftToKeeper;

    /// <summary>True when this mount took over a connection from a keeper instead of mounting (no mount(2), no INIT).</summary>
    public bool Resumed { get; private set; }

    /// <summary>True while a keeper holds this mount's connection, so it survives this process.</summary>
    public bool IsKept => _keeper is not null;

    /// <summary>
    /// Leaves the mount to its keeper: it stays mounted and deposited when this process stops (a daemon stopping for
    /// an upgrade), and the next <see cref="MountAsync"/> of the same tree here resumes it. This process keeps
    /// answering until it exits; requests it has read but not answered by then are sent again to the next server.
    /// <see cref="DisposeAsync"/> does nothing afterwards. A mount no keeper holds is unmounted instead.
    /// </summary>
    /// <returns>True when the keeper holds the mount; false when it was unmounted.</returns>
    public async Task<bool> LeaveToKeeperAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_keeper is null)
        {
            await DisposeAsync().ConfigureAwait(false);
            return false;
        }

        Volatile.Write(ref _leftToKeeper, 1);
        FuseLog.LeftToKeeper(_logger, MountPoint);
        return true;
    }

    private static async Task<FuseMount?> TryResumeAsync(
        string target, FuseNode root, FuseMountOptions options, FuseKeeperClient keeper, StableNodeIds stableIds, ILogger logger, CancellationToken cancellationToken)
    {
        (KeptConnection Connection, SafeFileHandle Device)? taken;
        try
        {
            taken = await keeper.TakeAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            FuseLog.KeeperUnreachable(logger, target, exception.Message);
            return null;
        }

        if (taken is not { } held)
        {
            return null;
        }

        if (held.Connection.HolderProcessId == Environment.ProcessId)
        {
            // This process serves that mount already: a second session on it would unmount it when disposed.
            held.Device.Dispose();
            throw new InvalidOperationException($"{target} is already mounted and served by this process");
        }

        MountInfo? mounted = MountTable.FindFuse(target);
        string? mismatch = held.Connection.Identity != options.FsName ? $"it serves {held.Connection.Identity}, not {options.FsName}"
            : mounted is null || !MountTable.IsFuse(mounted) ? "nothing is FUSE-mounted there any more"
            : DeviceOf(mounted) != held.Connection.Device ? $"the mount there is {DeviceOf(mounted)}, not {held.Connection.Device}"
            : null;
        if (mismatch is not null)
        {
            // Not this tree's connection: serving it would answer its node ids with the wrong nodes. Let it end.
            FuseLog.KeptConnectionMismatch(logger, target, mismatch);
            held.Device.Dispose();
            try
            {
                await keeper.ReleaseAsync(target, cancellationToken).ConfigureAwait(false);
                if (mounted is not null && DeviceOf(mounted) == held.Connection.Device)
                {
                    FuseMountCleanup.Unmount(target, UnmountMode.Lazy);
                }
            }
            catch (IOException exception)
            {
                FuseLog.KeptConnectionNotEnded(logger, target, exception.Message);
            }

            return null;
        }

        var session = new FuseSession(held.Device, root, options, logger, stableIds);
        var mount = new FuseMount(target, held.Device, session, logger) { _keeper = keeper, Resumed = true };
        session.ConnectionLost = mount.AbortConnection;
        var init = new NegotiatedInit(held.Connection.ProtocolMinor, held.Connection.Flags, held.Connection.Flags2,
            held.Connection.MaxPages, held.Connection.Passthrough, IoUring: false);
        bool resent = session.Resume(init);
        session.Start();
        FuseLog.Resumed(logger, options.FsName, target, stableIds.Count + 1, resent ? "sent again" : "not sent again");
        return mount;
    }

    private async Task DepositAsync(FuseKeeperClient keeper, string identity, CancellationToken cancellationToken)
    {
        if (_session.Negotiated is not { } init || init.IoUring || MountTable.FindFuse(MountPoint) is not { } mounted)
        {
            FuseLog.UringNotKept(_logger, MountPoint);
            return;
        }

        var connection = new KeptConnection
        {
            MountPoint = MountPoint,
            Identity = identity,
            Device = DeviceOf(mounted),
            ProtocolMinor = init.Minor,
            Flags = init.Flags,
            Flags2 = init.Flags2,
            MaxPages = init.MaxPages,
            Passthrough = init.Passthrough,
        };
        try
        {
            await keeper.DepositAsync(connection, _device, cancellationToken).ConfigureAwait(false);
            _keeper = keeper;
        }
        catch (IOException exception)
        {
            FuseLog.HandOverFailed(_logger, MountPoint, exception.Message);
        }
    }

    /// <summary>The mount is gone for good: the keeper closes its descriptor too.</summary>
    private async Task ReleaseFromKeeperAsync()
    {
        if (Interlocked.Exchange(ref _keeper, null) is not { } keeper)
        {
            return;
        }

        try
        {
            await keeper.ReleaseAsync(MountPoint, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            FuseLog.KeeperReleaseFailed(_logger, MountPoint, exception.Message);
        }
    }

    private static string DeviceOf(MountInfo mount) => string.Create(CultureInfo.InvariantCulture, $"{mount.DeviceMajor}:{mount.DeviceMinor}");
}
