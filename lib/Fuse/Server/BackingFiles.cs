using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// FUSE passthrough state per node of one mount: the backing id registered with the kernel
/// (FUSE_DEV_IOC_BACKING_OPEN), kept until the kernel forgets the node, and the opens served through READ. The
/// kernel refuses to mix the two on one inode (fs/fuse/iomode.c: a passthrough open fails while cached opens exist,
/// and the reverse), so a node with cached opens stays cached until they are released.
/// </summary>
internal sealed class BackingFiles(SafeHandle device, ILogger logger)
{
    /// <summary>The file handle of a passthrough open (fuse_open_out.fh), so RELEASE knows which kind it closes.</summary>
    public const ulong PassthroughHandle = 1;

    /// <summary>The file handle of an open of a backing-capable node served through READ.</summary>
    public const ulong CachedHandle = 2;

    private readonly Dictionary<ulong, State> _states = [];
    private readonly Lock _lock = new();
    private bool _disabled; // the kernel refuses every backing file of this mount (EPERM: no CAP_SYS_ADMIN)

    /// <summary>Decides how to open the node: a backing id (passthrough), or 0 to serve it through READ.</summary>
    public async ValueTask<int> OpenAsync(ulong nodeId, INodeBackingFile node, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            State state = StateOf(nodeId);
            if (state.BackingId > 0)
            {
                return state.BackingId;
            }

            if (_disabled || state.Refused || state.CachedOpens > 0)
            {
                state.CachedOpens++;
                return 0;
            }
        }

        int registered = await RegisterAsync(node, nodeId, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            State state = StateOf(nodeId);
            if (registered > 0 && state.BackingId == 0 && state.CachedOpens == 0)
            {
                state.BackingId = registered;
                return registered;
            }

            // Another open won the race (use its id), or went through READ meanwhile (stay cached).
            if (registered > 0)
            {
                Unregister(registered);
            }

            state.Refused |= registered == Refused;
            if (state.BackingId > 0)
            {
                return state.BackingId;
            }

            state.CachedOpens++;
            return 0;
        }
    }

    /// <summary>RELEASE of an open this registry counted.</summary>
    public void Release(ulong nodeId, ulong fileHandle)
    {
        if (fileHandle != CachedHandle)
        {
            return;
        }

        lock (_lock)
        {
            if (_states.TryGetValue(nodeId, out State? state) && state.CachedOpens > 0)
            {
                state.CachedOpens--;
            }
        }
    }

    /// <summary>The kernel forgot the node (no open file can remain): drop its backing id.</summary>
    public void Forget(ulong nodeId)
    {
        int backingId;
        lock (_lock)
        {
            if (!_states.Remove(nodeId, out State? state))
            {
                return;
            }

            backingId = state.BackingId;
        }

        if (backingId > 0)
        {
            Unregister(backingId);
        }
    }

    private State StateOf(ulong nodeId)
    {
        if (!_states.TryGetValue(nodeId, out State? state))
        {
            state = new State();
            _states[nodeId] = state;
        }

        return state;
    }

    private const int Refused = -1;
    private const int Failed = -2;

    /// <summary>
    /// The new backing id; 0 when the node has no local file now; <see cref="Refused"/> when the kernel will never
    /// take this file; <see cref="Failed"/> for a passing failure (out of file descriptors or memory).
    /// </summary>
    private async ValueTask<int> RegisterAsync(INodeBackingFile node, ulong nodeId, CancellationToken cancellationToken)
    {
        SafeFileHandle? handle;
        try
        {
            handle = await node.OpenBackingFileAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new NodeFaultException((FuseNode)node, exception);
        }

        if (handle is null)
        {
            return 0;
        }

        using (handle)
        {
            int id = Register(handle);
            if (id > 0)
            {
                return id;
            }

            int errno = -id;
            if (errno == (int)Errno.EPERM)
            {
                // Needs CAP_SYS_ADMIN, for every file of the mount: say it once and stop asking.
                lock (_lock)
                {
                    if (_disabled)
                    {
                        return Failed;
                    }

                    _disabled = true;
                }

                FuseLog.PassthroughRefused(logger, Libc.Describe(errno));
                return Failed;
            }

            bool permanent = errno is (int)Errno.ELOOP or (int)Errno.EINVAL or (int)Errno.EOPNOTSUPP;
            // ELOOP: the file lives on a stacked file system. Either way this open is served through READ.
            FuseLog.BackingFileRefused(logger, nodeId, Libc.Describe(errno), permanent ? " from now on" : " this time");
            return permanent ? Refused : Failed;
        }
    }

    private unsafe int Register(SafeFileHandle handle)
    {
        var map = new BackingMap { Fd = (int)handle.DangerousGetHandle() };
        int result = Libc.Ioctl(device, Libc.FuseDevIocBackingOpen, &map);
        return result >= 0 ? result : -Libc.LastErrno;
    }

    private unsafe void Unregister(int backingId)
    {
        uint id = (uint)backingId;
        if (Libc.Ioctl(device, Libc.FuseDevIocBackingClose, &id) != 0 && Libc.LastErrno is not ((int)Errno.ENODEV or (int)Errno.ENOTCONN))
        {
            FuseLog.BackingIdNotClosed(logger, backingId, Libc.Describe(Libc.LastErrno));
        }
    }

    private sealed class State
    {
        public int BackingId { get; set; }

        public int CachedOpens { get; set; }

        /// <summary>The kernel refused this node's file once; it is served through READ from now on.</summary>
        public bool Refused { get; set; }
    }
}
