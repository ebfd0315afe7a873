using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// The request loop: worker threads each block in read(2) on /dev/fuse (the kernel hands each request to exactly
/// one reader) and dispatch it on the spot. A request whose node completes synchronously never leaves its worker;
/// one that waits (a READ on the network) is parked with its context and the worker reads the next request, so a
/// slow file never holds up LOOKUP or GETATTR of others.
/// </summary>
internal sealed class FuseSession
{
    /// <summary>
    /// Largest WRITE payload announced at INIT; the request buffer must hold it (fs/fuse/dev.c, fuse_dev_do_read).
    /// Writes are refused anyway, so it is kept small, and so is every buffer a worker holds while it waits.
    /// </summary>
    public const uint MaxWrite = 4096;

    // Requests: at least FUSE_MIN_READ_BUFFER and header + fuse_write_in + max_write; names are at most 255 bytes.
    private const int InputSize = 16 * 1024;

    // Replies other than READ: XATTR_SIZE_MAX (64 KiB) values and lists, READDIR pages, READLINK's PATH_MAX.
    private const int OutputSize = 64 * 1024 + 4096;

    private readonly SafeFileHandle _device;
    private readonly ILogger _logger;
    private readonly RequestContextPool _pool = new(InputSize, OutputSize);
    private readonly InflightRequests _inflight = new();
    private readonly RequestDispatcher _dispatcher;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _workerCount;
    private readonly FuseMountOptions _options;
    private readonly AllocationCounter _synchronousAllocations = new();
    private UringQueue[] _queues = [];
    private int _runningWorkers;

    public FuseSession(SafeFileHandle device, FuseNode root, FuseMountOptions options, ILogger logger, StableNodeIds? stableIds = null)
    {
        _device = device;
        _logger = logger;
        _workerCount = options.Workers > 0 ? options.Workers : DefaultWorkerCount(Environment.ProcessorCount);
        Nodes = new NodeTable(root, stableIds);
        Directories = new DirectoryHandles();
        _options = options;
        _dispatcher = new RequestDispatcher(device, options, Nodes, Directories, _inflight, logger, Initialized)
        {
            InitAnswered = OnInitAnswered,
        };
    }

    /// <summary>Completes when INIT has been answered (or faults when it could not be).</summary>
    public TaskCompletionSource Initialized { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when every worker has stopped: the kernel ended the session.</summary>
    public Task Completion => _completion.Task;

    public NodeTable Nodes { get; }

    /// <summary>Called when requests can no longer be answered (a ring queue failed): the mount aborts the connection.</summary>
    public Action? ConnectionLost { get; set; }

    /// <summary>True once requests travel through io_uring queues (set before INIT completes).</summary>
    public bool UsesIoUring { get; private set; }

    /// <summary>Bytes allocated by requests answered synchronously on the workers (the hot path; should stay flat).</summary>
    public long SynchronousAllocatedBytes => _synchronousAllocations.Bytes;

    public DirectoryHandles Directories { get; }

    /// <summary>Half the processors, 1 to 8: the other half runs the readers whose requests the workers answer.</summary>
    public static int DefaultWorkerCount(int processors) => Math.Clamp(processors / 2, 1, 8);

    /// <summary>What INIT settled (null before INIT).</summary>
    public NegotiatedInit? Negotiated => _dispatcher.Negotiated;

    /// <summary>
    /// Takes over a connection an earlier process served (call before <see cref="Start"/>): no INIT comes, and the
    /// requests that process had read but not answered are queued again with FUSE_NOTIFY_RESEND (Linux 6.9+), so
    /// every caller that waited through the gap gets its answer. False when the kernel cannot resend.
    /// </summary>
    public unsafe bool Resume(NegotiatedInit init)
    {
        _dispatcher.Resume(init);
        Initialized.TrySetResult();
        // A notification is a reply with unique 0 and the notify code in the error field (fs/fuse/dev.c, fuse_notify).
        OutHeader notify = new() { Length = OutHeader.Size, Error = NotifyResend, Unique = 0 };
        if (Libc.Write(_device, (byte*)&notify, OutHeader.Size) >= 0)
        {
            return true;
        }

        FuseLog.ResendFailed(_logger, Libc.Describe(Libc.LastErrno));
        return false;
    }

    /// <summary>FUSE_NOTIFY_RESEND (linux/fuse.h, 7.40): requeue every request read but not answered.</summary>
    private const int NotifyResend = 7;

    public void Start()
    {
        _runningWorkers = _workerCount;
        for (int i = 0; i < _workerCount; i++)
        {
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"fuse-worker-{i}" };
            // Without the mounting caller's execution context: its logging scope (one Prepare) must not label every
            // request this mount serves for the rest of its life.
            thread.UnsafeStart();
        }
    }

    private unsafe void WorkerLoop()
    {
        RequestContext? context = null;
        try
        {
            while (true)
            {
                context ??= _pool.Rent();
                nint read = Libc.Read(_device, context.InputPointer, (nuint)context.Input.Length);
                if (read < 0)
                {
                    int errno = Libc.LastErrno;
                    // EINTR/EAGAIN: retry. ENOENT: the request was interrupted before we got it.
                    if (errno is (int)Errno.EINTR or (int)Errno.EAGAIN or (int)Errno.ENOENT)
                    {
                        continue;
                    }

                    // ENODEV: unmounted or aborted, the normal end of a session.
                    if (errno != (int)Errno.ENODEV)
                    {
                        FuseLog.DeviceReadFailed(_logger, Libc.Describe(errno));
                    }

                    break;
                }

                if (read < InHeader.Size)
                {
                    FuseLog.ShortRequest(_logger, read);
                    continue;
                }

                context.InputLength = (int)read;
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                ValueTask pending = _dispatcher.DispatchAsync(context);
                if (pending.IsCompleted)
                {
                    pending.GetAwaiter().GetResult();
                    context.Reset();
                    _synchronousAllocations.AddSince(allocatedBefore);
                    continue;
                }

                _inflight.Track(context);
                _ = FinishAsync(pending, context);
                context = null;
            }
        }
        catch (ObjectDisposedException)
        {
            // The device was closed under us: the mount is being torn down.
        }
        catch (Exception exception)
        {
            // Dispatch never throws; this is a bug in the loop itself. The other workers carry on.
            FuseLog.WorkerCrashed(_logger, exception);
        }
        finally
        {
            if (context is not null)
            {
                _pool.Return(context);
            }

            if (Interlocked.Decrement(ref _runningWorkers) == 0)
            {
                _inflight.CancelAll();
                Initialized.TrySetException(new IOException("The FUSE session ended before INIT"));
                _ = CompleteWhenQueuesStopAsync();
            }
        }
    }

    /// <summary>
    /// INIT is answered. Over io_uring the kernel now holds new requests until every CPU's queue has registered its
    /// entries; the /dev/fuse workers stay, for FORGET and INTERRUPT (which never travel through the ring) and as
    /// the kernel's fallback should registration fail.
    /// </summary>
    private void OnInitAnswered(int uringQueues)
    {
        if (uringQueues == 0)
        {
            Initialized.TrySetResult();
            return;
        }

        // The kernel's payload size: max(FUSE_MIN_READ_BUFFER, max_write, max_pages * PAGE_SIZE) (fs/fuse/dev_uring.c).
        int maxPages = _dispatcher.MaxRead / 4096;
        int payloadSize = Math.Max(8192, maxPages * Environment.SystemPageSize);
        int depth = _dispatcher.UringQueueDepth;
        var queues = new UringQueue[uringQueues];
        for (int i = 0; i < queues.Length; i++)
        {
            queues[i] = new UringQueue(i, depth, payloadSize, InputSize, _device, _dispatcher, _inflight, _synchronousAllocations,
                () => ConnectionLost?.Invoke(), _logger);
        }

        Volatile.Write(ref _queues, queues);
        foreach (UringQueue queue in queues)
        {
            queue.Start();
        }

        _ = CompleteInitWhenRegisteredAsync(queues);
    }

    private async Task CompleteInitWhenRegisteredAsync(UringQueue[] queues)
    {
        try
        {
            await Task.WhenAll(queues.Select(queue => queue.Registered)).ConfigureAwait(false);
            FuseLog.UringQueuesRegistered(_logger, queues.Length);
            UsesIoUring = true;
            Initialized.TrySetResult();
        }
        catch (Exception exception)
        {
            // Queues that did register may never hear from the kernel again (it turned io_uring off for this
            // connection); the session's end must not wait for them.
            Volatile.Write(ref _queues, []);
            if (_options.Transport == FuseTransport.IoUring)
            {
                Initialized.TrySetException(exception);
                return;
            }

            // The kernel turns io_uring off for the connection when a registration fails; requests use /dev/fuse.
            FuseLog.UringUnavailable(_logger, exception.Message);
            Initialized.TrySetResult();
        }
    }

    private async Task CompleteWhenQueuesStopAsync()
    {
        await Task.WhenAll(Volatile.Read(ref _queues).Select(queue => queue.Completion)).ConfigureAwait(false);
        _completion.TrySetResult();
    }

    private async Task FinishAsync(ValueTask pending, RequestContext context)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            _inflight.Untrack(context);
            _pool.Return(context);
        }
    }
}
