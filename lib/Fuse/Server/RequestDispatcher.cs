using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Answers one request: the opcode table of the protocol. Handlers parse fixed arguments straight from the
/// request bytes, await the node, and write the reply into the context's output buffer; nothing is allocated
/// when the node completes synchronously. No exception leaves <see cref="DispatchAsync"/>.
/// </summary>
internal sealed partial class RequestDispatcher(
    SafeHandle device, FuseMountOptions options, NodeTable nodes, DirectoryHandles directories,
    InflightRequests inflight, ILogger logger, TaskCompletionSource initialized)
{
    // POSIX open(2) flags checked at OPEN (asm-generic/fcntl.h).
    private const uint AccessModeMask = 3;
    private const uint OpenTruncate = 0x200;
    private const uint AccessWrite = 2; // W_OK

    private readonly BackingFiles _backingFiles = new(device, logger);
    private int _maxRead = 32 * 4096;
    private bool _passthrough;
    private bool _openless;
    private bool _opendirless;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask DispatchAsync(RequestContext context)
    {
        InHeader header = context.Header;
        context.Unique = header.Unique;
        FuseNode? node = null;
        try
        {
            if (header.Opcode == FuseOpcode.Init)
            {
                ReplyInit(context);
                return;
            }

            if (header.Opcode is FuseOpcode.Forget or FuseOpcode.BatchForget or FuseOpcode.Interrupt or FuseOpcode.NotifyReply)
            {
                HandleNoReply(context, header.Opcode);
                return;
            }

            node = nodes.Find(header.NodeId);
            if (node is null && header.Opcode is not (FuseOpcode.Destroy or FuseOpcode.Statfs))
            {
                // A node id the kernel should not know: answer rather than guess.
                ReplyError(context, Errno.ESTALE);
                return;
            }

            CancellationToken token = context.CancellationToken;
            ValueTask pending = header.Opcode switch
            {
                FuseOpcode.Lookup => LookupAsync(context, node!, token),
                FuseOpcode.Getattr => GetattrAsync(context, node!, token),
                FuseOpcode.Readlink => ReadlinkAsync(context, node!, token),
                FuseOpcode.Open => OpenAsync(context, node!, token),
                FuseOpcode.Read => ReadAsync(context, node!, token),
                FuseOpcode.Release => ReleaseAsync(context),
                FuseOpcode.Opendir => OpendirAsync(context, node!, token),
                FuseOpcode.Readdir => ReaddirAsync(context, node!, plus: false, token),
                FuseOpcode.Readdirplus => ReaddirAsync(context, node!, plus: true, token),
                FuseOpcode.Releasedir => ReleasedirAsync(context),
                FuseOpcode.Statfs => StatfsAsync(context, node ?? nodes.Root, token),
                FuseOpcode.Getxattr => GetxattrAsync(context, node!, token),
                FuseOpcode.Listxattr => ListxattrAsync(context, node!, token),
                FuseOpcode.Access => AccessAsync(context, node!, token),
                FuseOpcode.Destroy => ReplyEmptyAsync(context),
                _ => ReplyUnsupportedAsync(context, header.Opcode),
            };
            await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            ReplyError(context, Errno.EINTR);
        }
        catch (Exception exception)
        {
            if (exception is NodeFaultException fault)
            {
                node = fault.Node;
                exception = fault.InnerException!;
            }

            if (node is null || node.TryMarkFaultLogged())
            {
                FuseLog.NodeFailed(logger, exception, header.Opcode, node is null ? header.NodeId : nodes.IdOf(node), node?.GetType().Name ?? "unknown");
            }

            ReplyError(context, Errno.EIO);
        }
    }

    private static ValueTask Completed => ValueTask.CompletedTask;

    private ValueTask ReplyEmptyAsync(RequestContext context)
    {
        Send(context, 0, Errno.None);
        return Completed;
    }

    /// <summary>Writes: EROFS. Optional operations the kernel remembers as unsupported after one ENOSYS: ENOSYS.</summary>
    private ValueTask ReplyUnsupportedAsync(RequestContext context, FuseOpcode opcode)
    {
        Errno error = opcode switch
        {
            FuseOpcode.Setattr or FuseOpcode.Symlink or FuseOpcode.Mknod or FuseOpcode.Mkdir or FuseOpcode.Unlink
                or FuseOpcode.Rmdir or FuseOpcode.Rename or FuseOpcode.Rename2 or FuseOpcode.Link or FuseOpcode.Write
                or FuseOpcode.Setxattr or FuseOpcode.Removexattr or FuseOpcode.Create or FuseOpcode.Tmpfile
                or FuseOpcode.Fallocate or FuseOpcode.CopyFileRange => Errno.EROFS,
            // FLUSH, FSYNC, FSYNCDIR, POLL, BMAP, LSEEK, SYNCFS: the kernel sets no_* and stops asking, treating them as
            // done (or falling back to its generic code); IOCTL and the DAX mapping ops fail for the caller; locks
            // are never sent because FUSE_POSIX_LOCKS is not negotiated.
            _ => Errno.ENOSYS,
        };
        ReplyError(context, error);
        return Completed;
    }

    private async ValueTask AccessAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        AccessIn access = context.Argument<AccessIn>();
        ReplyError(context, (access.Mask & AccessWrite) != 0
            ? Errno.EROFS
            : await CheckPermissionAsync(context, node, access.Mask & (AccessRead | AccessExecute), token).ConfigureAwait(false));
    }

    private void HandleNoReply(RequestContext context, FuseOpcode opcode)
    {
        switch (opcode)
        {
            case FuseOpcode.Forget:
                Forget(context.Header.NodeId, context.Argument<ForgetIn>().Nlookup);
                break;
            case FuseOpcode.BatchForget:
                BatchForget(context);
                break;
            case FuseOpcode.Interrupt:
                // Counted as received (no answer goes back). Not found: the request is not parked yet (another
                // worker is still in its callback, or read it a moment ago) or already answered. It is remembered
                // and cancelled when it parks (InflightRequests.Track), and left unanswered: an EAGAIN answer makes
                // the kernel queue the interrupt again at once, ahead of every other request, so a worker spins on
                // it for as long as the callback runs (measured: 120-650 INTERRUPTs per container start on lazy layers,
                // the Go runtime's preemption signals interrupting runc's requests; 99,000 in 300 ms in RoundTripTests).
                FuseOperationCounts.Count(opcode, Errno.None);
                inflight.TryCancel(context.Argument<InterruptIn>().Unique);
                break;
        }
    }

    private void BatchForget(RequestContext context)
    {
        Span<byte> body = context.Body;
        uint count = MemoryMarshal.Read<BatchForgetIn>(body).Count;
        ReadOnlySpan<ForgetOne> items = MemoryMarshal.Cast<byte, ForgetOne>(body[Unsafe.SizeOf<BatchForgetIn>()..]);
        foreach (ForgetOne item in items[..(int)Math.Min(count, (uint)items.Length)])
        {
            Forget(item.NodeId, item.Nlookup);
        }
    }

    private void Forget(ulong nodeId, ulong count)
    {
        if (nodes.Forget(nodeId, count) && _passthrough)
        {
            _backingFiles.Forget(nodeId);
        }
    }

    private void ReplyError(RequestContext context, Errno error) => Send(context, 0, error);

    /// <summary>Sends the reply whose payload is already in the output buffer after the header.</summary>
    private unsafe void Send(RequestContext context, int payloadLength, Errno error)
    {
        FuseOperationCounts.Count(context.Header.Opcode, error);
        ref OutHeader header = ref MemoryMarshal.AsRef<OutHeader>(context.Output.AsSpan(0, OutHeader.Size));
        int length = OutHeader.Size + (error == Errno.None ? payloadLength : 0);
        header.Length = (uint)length;
        header.Error = -(int)error;
        header.Unique = context.Unique;
        if (context.RingEntry is { } entry)
        {
            entry.StageReply(); // committed by the ring's thread with the next fetch
            return;
        }

        try
        {
            if (Libc.Write(device, context.OutputPointer, (nuint)length) >= 0)
            {
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            return; // The session ended while the node was working; nobody waits for this answer.
        }

        LogWriteFailure(context, Libc.LastErrno);
    }

    /// <summary>Sends a success reply whose payload is node-owned memory, with writev(2): no copy into our buffer.</summary>
    private unsafe void SendWithData(RequestContext context, ReadOnlyMemory<byte> data)
    {
        FuseOperationCounts.Count(context.Header.Opcode, Errno.None);
        ref OutHeader header = ref MemoryMarshal.AsRef<OutHeader>(context.Output.AsSpan(0, OutHeader.Size));
        header.Length = (uint)(OutHeader.Size + data.Length);
        header.Error = 0;
        header.Unique = context.Unique;
        if (context.RingEntry is { } entry)
        {
            // The kernel reads replies only from the registered payload buffer.
            data.Span.CopyTo(context.Payload.Span);
            entry.StageReply();
            return;
        }

        using System.Buffers.MemoryHandle pinned = data.Pin();
        Libc.IoVector* vectors = stackalloc Libc.IoVector[2];
        vectors[0] = new Libc.IoVector { Base = context.OutputPointer, Length = OutHeader.Size };
        vectors[1] = new Libc.IoVector { Base = pinned.Pointer, Length = (nuint)data.Length };
        try
        {
            if (Libc.Writev(device, vectors, data.IsEmpty ? 1 : 2) >= 0)
            {
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        LogWriteFailure(context, Libc.LastErrno);
    }

    private void LogWriteFailure(RequestContext context, int errno)
    {
        // ENOENT: the request was interrupted and already finished by the kernel; ENODEV: the mount is gone.
        if (errno != (int)Errno.ENOENT && errno != (int)Errno.ENODEV)
        {
            FuseLog.ReplyFailed(logger, context.Unique, Libc.Describe(errno));
        }
    }

    /// <summary>Writes a fixed-size reply payload and sends it.</summary>
    private void SendStruct<T>(RequestContext context, in T payload) where T : unmanaged
    {
        MemoryMarshal.Write(context.Payload.Span, in payload);
        Send(context, Unsafe.SizeOf<T>(), Errno.None);
    }
}
