using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Server;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A tree of <see cref="FuseNode"/>s mounted over /dev/fuse. Create one with <see cref="MountAsync"/>; dispose it to
/// unmount (forcing the unmount when files are still open). Needs root (CAP_SYS_ADMIN). With
/// <see cref="FuseMountOptions.Keeper"/> the connection outlives the process (see <see cref="LeaveToKeeperAsync"/>).
/// </summary>
public sealed partial class FuseMount : IAsyncDisposable
{
    private readonly SafeFileHandle _device;
    private readonly FuseSession _session;
    private readonly ILogger _logger;
    private int _unmounted;

    private FuseMount(string mountPoint, SafeFileHandle device, FuseSession session, ILogger logger)
    {
        MountPoint = mountPoint;
        _device = device;
        _session = session;
        _logger = logger;
    }

    /// <summary>The absolute path the tree is mounted at.</summary>
    public string MountPoint { get; }

    /// <summary>Completes when the kernel has ended the session (unmounted, or the last open file of a lazy unmount closed).</summary>
    public Task Completion => _session.Completion;

    /// <summary>Nodes the kernel currently holds references to (diagnostics; the root counts).</summary>
    public int KnownNodeCount => _session.Nodes.Count;

    /// <summary>Bytes allocated while answering requests that completed synchronously (diagnostics for the hot path).</summary>
    internal long RequestLoopAllocatedBytes => _session.SynchronousAllocatedBytes;

    /// <summary>The transport INIT settled on: <see cref="FuseTransport.IoUring"/> or <see cref="FuseTransport.Device"/>.</summary>
    public FuseTransport ActiveTransport => _session.UsesIoUring ? FuseTransport.IoUring : FuseTransport.Device;

    /// <summary>Where <see cref="MountAsync"/> spent its time (diagnostics: a slow first mount).</summary>
    public FuseMountPhases Phases { get; private set; } = new();

    /// <summary>Directories currently open (diagnostics).</summary>
    public int OpenDirectoryCount => _session.Directories.Count;

    /// <summary>
    /// Mounts <paramref name="root"/> at <paramref name="mountPoint"/> (an existing directory) and returns once the
    /// kernel has completed INIT, so the mount is usable.
    /// </summary>
    /// <param name="mountPoint">The directory to mount on.</param>
    /// <param name="root">The root directory node; it must implement <see cref="INodeGetattrer"/> and report a directory.</param>
    /// <param name="options">Mount and cache settings; null for the defaults.</param>
    /// <param name="logger">Receives node faults and transport errors; null for none.</param>
    /// <param name="cancellationToken">Abandons the mount (it is torn down) while waiting for INIT.</param>
    /// <exception cref="IOException">/dev/fuse could not be opened or mount(2) failed (the message names the errno).</exception>
    /// <exception cref="ArgumentException">The root is not a directory.</exception>
    /// <exception cref="InvalidOperationException">With a keeper: this process already serves a mount kept at <paramref name="mountPoint"/>.</exception>
    public static async Task<FuseMount> MountAsync(string mountPoint, FuseNode root, FuseMountOptions? options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        cancellationToken.ThrowIfCancellationRequested();
        var phases = new FuseMountPhases();
        options ??= new FuseMountOptions();
        logger ??= NullLogger.Instance;
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        if (root is not INodeGetattrer getattrer)
        {
            throw new ArgumentException($"The root node must implement {nameof(INodeGetattrer)}", nameof(root));
        }

        FuseResult<FuseAttributes> rootAttributes = await getattrer.GetattrAsync(cancellationToken).ConfigureAwait(false);
        if (!rootAttributes.IsSuccess || (rootAttributes.Value.Mode & FileModes.TypeMask) != FileModes.Directory)
        {
            throw new ArgumentException("The root node must report a directory", nameof(root));
        }

        StableNodeIds? stableIds = null;
        if (options.Keeper is { } keeper)
        {
            stableIds = await StableNodeIds.NumberAsync(root, cancellationToken).ConfigureAwait(false);
            phases.Lap("numbering");
            if (await TryResumeAsync(target, root, options, keeper, stableIds, logger, cancellationToken).ConfigureAwait(false) is { } resumed)
            {
                phases.Lap("resume");
                resumed.Phases = phases;
                return resumed;
            }

            phases.Lap("keeper");
        }

        SafeFileHandle device = OpenDevice();
        var session = new FuseSession(device, root, options, logger, stableIds);
        try
        {
            DoMount(target, device, options, rootAttributes.Value.Mode);
        }
        catch
        {
            device.Dispose();
            throw;
        }

        var mount = new FuseMount(target, device, session, logger) { Phases = phases };
        phases.Lap("mount");
        session.ConnectionLost = mount.AbortConnection;
        session.Start();
        phases.Lap("session");
        try
        {
            await session.Initialized.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            phases.Lap("INIT");
            mount.ApplyReadahead(options.ReadaheadKilobytes);
            phases.Lap("readahead");
        }
        catch
        {
            await mount.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        FuseLog.Mounted(logger, options.FsName, target);
        if (options.Keeper is { } depositTo)
        {
            try
            {
                await mount.DepositAsync(depositTo, options.FsName, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Cancelled (or worse) while the keeper was still starting: nobody would hold this live mount.
                await mount.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            phases.Lap("deposit");
        }

        return mount;
    }

    /// <summary>
    /// Unmounts. <see cref="UnmountMode.Normal"/> and <see cref="UnmountMode.Force"/> return once the session has
    /// ended; <see cref="UnmountMode.Lazy"/> returns once the mount is detached, while open files are still served
    /// (watch <see cref="Completion"/>).
    /// </summary>
    /// <exception cref="IOException">The kernel refused, e.g. EBUSY for a normal unmount with files open.</exception>
    public async Task UnmountAsync(UnmountMode mode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _unmounted) == 0)
        {
            FuseMountCleanup.Unmount(MountPoint, mode);
            Volatile.Write(ref _unmounted, 1);
            await ReleaseFromKeeperAsync().ConfigureAwait(false);
        }

        if (mode != UnmountMode.Lazy)
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Unmounts (forcibly when files are open) and waits for the session to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _leftToKeeper) != 0)
        {
            return; // The keeper holds the mount now; this process serves it until it exits.
        }

        if (Interlocked.Exchange(ref _unmounted, 1) == 0)
        {
            if (Libc.Umount2(MountPoint, 0) != 0)
            {
                int errno = Libc.LastErrno;
                // EBUSY: files are open. Force aborts the connection (fuse_umount_begin) so nothing waits on us.
                if (Libc.Umount2(MountPoint, Libc.MNT_FORCE | Libc.MNT_DETACH) != 0 && Libc.LastErrno != (int)Errno.EINVAL)
                {
                    FuseLog.UnmountFailed(_logger, MountPoint, Libc.Describe(errno));
                }
            }

            await ReleaseFromKeeperAsync().ConfigureAwait(false);
        }

        // After a lazy unmount with files still open the session lives until they close; do not wait for that.
        if (await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false) == Completion)
        {
            _device.Dispose();
        }
        else
        {
            FuseLog.StillServingAfterUnmount(_logger, MountPoint);
        }
    }

    private static SafeFileHandle OpenDevice()
    {
        int fd = Libc.Open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"Opening /dev/fuse failed: {Libc.Describe(errno)}", errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static void DoMount(string target, SafeFileHandle device, FuseMountOptions options, uint rootMode)
    {
        // Mount options of fs/fuse/inode.c: the kernel talks to us through fd=; allow_other lets every user (and
        // overlayfs) in, default_permissions makes the kernel check modes itself.
        string data = string.Create(CultureInfo.InvariantCulture,
            $"fd={device.DangerousGetHandle()},rootmode={Convert.ToString(rootMode & FileModes.TypeMask, 8)},user_id=0,group_id=0,allow_other{(options.DefaultPermissions ? ",default_permissions" : "")}");
        string type = string.IsNullOrEmpty(options.Subtype) ? "fuse" : "fuse." + options.Subtype;
        ulong flags = options.ReadOnly ? (ulong)Libc.MS_RDONLY : 0;
        if (Libc.Mount(options.FsName, target, type, flags, data) != 0)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"mount({type} at {target}) failed: {Libc.Describe(errno)}", errno);
        }
    }

    /// <summary>
    /// Aborts the kernel connection (/sys/fs/fuse/connections/&lt;minor&gt;/abort), as if the server had died: every
    /// waiting and future caller gets ENOTCONN, and <see cref="FuseMountCleanup"/> detaches the mount later. Falls
    /// back to a forced unmount, which aborts it too.
    /// </summary>
    private void AbortConnection()
    {
        try
        {
            if (MountTable.FindFuse(MountPoint) is { } mount)
            {
                File.WriteAllText($"/sys/fs/fuse/connections/{mount.DeviceMinor}/abort", "1");
                return;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            FuseLog.AbortFailed(_logger, MountPoint, exception.Message);
        }

        FuseMountCleanup.Unmount(MountPoint, UnmountMode.Force);
    }

    /// <summary>Raises the mount's readahead window (its bdi's read_ahead_kb), which the kernel caps at 128 KiB by default.</summary>
    private void ApplyReadahead(int kilobytes)
    {
        if (kilobytes <= 0 || MountTable.FindFuse(MountPoint) is not { } mount)
        {
            return;
        }

        string path = $"/sys/class/bdi/{mount.DeviceMajor}:{mount.DeviceMinor}/read_ahead_kb";
        try
        {
            File.WriteAllText(path, kilobytes.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            FuseLog.SettingFailed(_logger, path, exception.Message);
        }
    }
}
