using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.Interop;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// One FUSE-over-io_uring queue (Documentation/filesystems/fuse-io-uring.rst): the kernel queues a request on the
/// queue of the CPU the caller runs on, so each queue has a thread pinned to that CPU with its own ring. The
/// caller and the server then hand over on one CPU, without the cross-CPU wake-ups of /dev/fuse. The thread waits
/// in io_uring_enter(2); a request whose node completes synchronously is committed with the next fetch in the same
/// call. One that waits (a READ on the network) keeps its entry, and its completion, on another thread, hands the
/// entry back through a queue and an eventfd the ring also reads.
/// </summary>
internal sealed class UringQueue
{
    private const uint CommandRegister = 1; // FUSE_IO_URING_CMD_REGISTER
    private const uint CommandCommitAndFetch = 2; // FUSE_IO_URING_CMD_COMMIT_AND_FETCH
    private const ulong WakeTag = ulong.MaxValue;

    private readonly int _queueId;
    private readonly SafeHandle _device;
    private readonly RequestDispatcher _dispatcher;
    private readonly InflightRequests _inflight;
    private readonly AllocationCounter _allocations;
    private readonly ILogger _logger;
    private readonly RingEntry[] _entries;
    private readonly ConcurrentQueue<RingEntry> _finished = new();
    private readonly Lock _wakeLock = new();
    private readonly byte[] _wakeBuffer = GC.AllocateArray<byte>(8, pinned: true);
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action _connectionLost;
    private int _eventFd = -1;
    private int _live; // entries registered and not released by the kernel (ring thread only)
    private int _parked; // entries whose request waits on its node (ring thread only)

    public UringQueue(int queueId, int depth, int payloadSize, int inputSize, SafeHandle device,
        RequestDispatcher dispatcher, InflightRequests inflight, AllocationCounter allocations, Action connectionLost, ILogger logger)
    {
        _connectionLost = connectionLost;
        _allocations = allocations;
        _queueId = queueId;
        _device = device;
        _dispatcher = dispatcher;
        _inflight = inflight;
        _logger = logger;
        _entries = new RingEntry[depth];
        for (int i = 0; i < depth; i++)
        {
            _entries[i] = new RingEntry(i, this, inputSize, payloadSize);
        }
    }

    /// <summary>Completes once the entries are registered, or faults with the kernel's refusal.</summary>
    public Task Registered => _registered.Task;

    /// <summary>Completes when the queue's thread has stopped (the connection ended).</summary>
    public Task Completion => _completion.Task;

    public void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = $"fuse-uring-{_queueId}" };
        thread.UnsafeStart(); // no caller's execution context (logging scopes): see FuseSession.Start
    }

    /// <summary>Hands an entry whose request finished off the ring thread back for commit (any thread).</summary>
    public void PostCommit(RingEntry entry)
    {
        lock (_wakeLock)
        {
            if (_eventFd < 0)
            {
                return; // The queue has stopped: the connection is gone and nobody waits for this answer.
            }

            _finished.Enqueue(entry);
            IoUringSyscalls.Signal(_eventFd);
        }
    }

    private void Run()
    {
        bool addedReference = false;
        IoUring? ring = null;
        try
        {
            _device.DangerousAddRef(ref addedReference);
            int device = (int)_device.DangerousGetHandle();
            if (!IoUringSyscalls.PinCurrentThread(_queueId))
            {
                FuseLog.QueueNotPinned(_logger, _queueId);
            }

            _eventFd = IoUringSyscalls.CreateEventFd();
            ring = new IoUring(RingSize(_entries.Length + 1));
            if (!Register(ring, device))
            {
                return;
            }

            Serve(ring, device);
        }
        catch (Exception exception)
        {
            if (!_registered.TrySetException(exception))
            {
                FuseLog.QueueCrashed(_logger, exception, _queueId);
                _connectionLost();
            }
        }
        finally
        {
            lock (_wakeLock)
            {
                if (_eventFd >= 0)
                {
                    IoUringSyscalls.Close(_eventFd);
                    _eventFd = -1;
                }
            }

            ring?.Dispose();
            if (addedReference)
            {
                _device.DangerousRelease();
            }

            _completion.TrySetResult();
        }
    }

    /// <summary>
    /// Registers every entry. The kernel answers a refusal at once and success only when a request arrives, which
    /// can happen right away: once the last queue registers, requests held back until the ring was ready flow in.
    /// Those are served, not dropped. A queue with some entries registered serves with those (the ring may already
    /// be ready and route this CPU's requests here); one with none fails, and the kernel falls back to /dev/fuse.
    /// </summary>
    private bool Register(IoUring ring, int device)
    {
        foreach (RingEntry entry in _entries)
        {
            PrepareCommand(ring, device, CommandRegister, entry, commitId: 0);
        }

        ArmWake(ring);
        int result = ring.SubmitAndWait(0);
        if (result < 0)
        {
            _registered.TrySetException(new IOException($"io_uring_enter failed: {Libc.Describe(-result)}", -result));
            return false;
        }

        var arrived = new List<RingEntry>();
        int refused = 0;
        int firstError = 0;
        while (ring.TryTakeCompletion(out ulong userData, out int completion))
        {
            if (userData == WakeTag)
            {
                continue; // Nothing can be posted before registration; re-armed below if it ever completes.
            }

            if (completion < 0)
            {
                refused++;
                firstError = firstError == 0 ? -completion : firstError;
            }
            else
            {
                arrived.Add(_entries[(int)userData]);
            }
        }

        if (refused == _entries.Length)
        {
            _registered.TrySetException(new IOException(
                $"FUSE_IO_URING_CMD_REGISTER on queue {_queueId} was refused: {Libc.Describe(firstError)}", firstError));
            return false;
        }

        if (refused > 0)
        {
            FuseLog.QueuePartlyRegistered(_logger, _queueId, _entries.Length - refused, _entries.Length, Libc.Describe(firstError));
        }

        _live = _entries.Length - refused;
        _registered.TrySetResult();
        foreach (RingEntry entry in arrived)
        {
            Handle(ring, device, entry);
        }

        return true;
    }

    private void Serve(IoUring ring, int device)
    {
        bool connectionEnded = false;
        // Entries parked on a node that never finishes must not keep a dead connection's queue alive.
        while (_live > 0 && !(connectionEnded && _live == _parked))
        {
            int result = ring.SubmitAndWait(1);
            if (result < 0)
            {
                if (result is -(int)Errno.EAGAIN or -(int)Errno.EBUSY)
                {
                    Thread.Sleep(1); // Completions to reap or the kernel is short of memory: try again.
                    continue;
                }

                LoseQueue($"io_uring_enter failed: {Libc.Describe(-result)}");
                return;
            }

            while (ring.TryTakeCompletion(out ulong userData, out int completion))
            {
                if (userData == WakeTag)
                {
                    if (completion < 0 && completion != -(int)Errno.EINTR && completion != -(int)Errno.EAGAIN)
                    {
                        LoseQueue($"reading its wake-up eventfd failed: {Libc.Describe(-completion)}");
                        return;
                    }

                    ArmWake(ring);
                    while (_finished.TryDequeue(out RingEntry? finished))
                    {
                        _parked--;
                        Commit(ring, device, finished);
                    }

                    continue;
                }

                RingEntry entry = _entries[(int)userData];
                if (completion < 0)
                {
                    _live--;
                    if (completion is -(int)Errno.ENOTCONN or -(int)Errno.ECANCELED or -(int)Errno.ECONNABORTED)
                    {
                        connectionEnded = true; // The kernel released the entry: the connection is gone.
                    }
                    else
                    {
                        FuseLog.QueueEntryLost(_logger, _queueId, entry.Index, Libc.Describe(-completion));
                        if (_live == 0)
                        {
                            LoseQueue("it has no entry left");
                            return;
                        }
                    }

                    continue;
                }

                Handle(ring, device, entry);
            }
        }
    }

    /// <summary>
    /// This CPU's requests can no longer be answered, and the kernel has no other route for them once the ring is
    /// ready: rather than let callers hang, the connection is aborted (they get ENOTCONN).
    /// </summary>
    private void LoseQueue(string reason)
    {
        FuseLog.QueueLost(_logger, _queueId, reason);
        _connectionLost();
    }

    private void Handle(IoUring ring, int device, RingEntry entry)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        entry.LoadRequest();
        RequestContext context = entry.Context;
        ValueTask pending = _dispatcher.DispatchAsync(context);
        if (pending.IsCompleted)
        {
            pending.GetAwaiter().GetResult();
            Commit(ring, device, entry);
            _allocations.AddSince(allocatedBefore);
            return;
        }

        _parked++;
        _inflight.Track(context);
        _ = FinishAsync(pending, entry);
    }

    private async Task FinishAsync(ValueTask pending, RingEntry entry)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            _inflight.Untrack(entry.Context);
            PostCommit(entry);
        }
    }

    private void Commit(IoUring ring, int device, RingEntry entry)
    {
        ulong unique = entry.Context.Unique;
        if (!entry.EnsureReplyStaged(unique))
        {
            FuseLog.RequestUnanswered(_logger, unique);
        }

        entry.Context.Reset();
        PrepareCommand(ring, device, CommandCommitAndFetch, entry, entry.CommitId);
    }

    private unsafe void PrepareCommand(IoUring ring, int device, uint command, RingEntry entry, ulong commitId)
    {
        // struct fuse_uring_cmd_req { u64 flags; u64 commit_id; u16 qid; u8 padding[6]; }
        Span<byte> request = stackalloc byte[24];
        request.Clear();
        MemoryMarshal.Write(request[8..], in commitId);
        ushort queue = (ushort)_queueId;
        MemoryMarshal.Write(request[16..], in queue);
        ring.PrepareUringCommand(device, command, entry.Vectors, 2, (ulong)entry.Index, request);
    }

    private unsafe void ArmWake(IoUring ring)
    {
        fixed (byte* buffer = _wakeBuffer)
        {
            ring.PrepareRead(_eventFd, buffer, (uint)_wakeBuffer.Length, WakeTag);
        }
    }

    private static uint RingSize(int entries)
    {
        uint size = 1;
        while (size < entries)
        {
            size <<= 1;
        }

        return size;
    }
}
