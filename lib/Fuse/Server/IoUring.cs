using System.Runtime.CompilerServices;
using PluggableSnapshotter.Fuse.Interop;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// One io_uring instance with 128-byte submission entries, owned and driven by a single thread: it prepares
/// entries, submits them and waits in one io_uring_enter(2), then drains completions. Only the operations the FUSE
/// ring transport uses are here: IORING_OP_URING_CMD (to /dev/fuse) and IORING_OP_READ (of an eventfd).
/// </summary>
internal sealed unsafe class IoUring : IDisposable
{
    private const int SqeSize = 128;
    private const byte OpRead = 22; // IORING_OP_READ
    private const byte OpUringCmd = 46; // IORING_OP_URING_CMD

    private readonly int _fd;
    private readonly byte* _rings;
    private readonly nuint _ringsLength;
    private readonly byte* _sqes;
    private readonly nuint _sqesLength;
    private readonly uint* _sqTail;
    private readonly uint* _sqArray;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly IoUringSyscalls.Completion* _cqes;
    private uint _pendingSubmissions;
    private bool _disposed;

    public IoUring(uint entries)
    {
        IoUringSyscalls.Params parameters = default;
        parameters.Flags = IoUringSyscalls.SetupSqe128;
        _fd = IoUringSyscalls.Setup(entries, &parameters);
        if (_fd < 0)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"io_uring_setup failed: {Libc.Describe(errno)}", errno);
        }

        try
        {
            if ((parameters.Features & IoUringSyscalls.FeatureSingleMmap) == 0)
            {
                throw new IOException("io_uring without IORING_FEAT_SINGLE_MMAP (Linux < 5.4) is not supported");
            }

            nuint sqLength = parameters.SqOffsets.Array + (parameters.SqEntries * sizeof(uint));
            nuint cqLength = parameters.CqOffsets.Cqes + (parameters.CqEntries * (uint)sizeof(IoUringSyscalls.Completion));
            _ringsLength = Math.Max(sqLength, cqLength);
            _rings = IoUringSyscalls.MapRing(_fd, _ringsLength, IoUringSyscalls.OffsetSqRing);
            _sqesLength = parameters.SqEntries * (nuint)SqeSize;
            _sqes = IoUringSyscalls.MapRing(_fd, _sqesLength, IoUringSyscalls.OffsetSqes);
        }
        catch
        {
            if (_rings != null)
            {
                IoUringSyscalls.Munmap(_rings, _ringsLength);
            }

            IoUringSyscalls.Close(_fd);
            throw;
        }

        _sqTail = (uint*)(_rings + parameters.SqOffsets.Tail);
        _sqArray = (uint*)(_rings + parameters.SqOffsets.Array);
        _sqMask = *(uint*)(_rings + parameters.SqOffsets.RingMask);
        _sqEntries = parameters.SqEntries;
        _cqHead = (uint*)(_rings + parameters.CqOffsets.Head);
        _cqTail = (uint*)(_rings + parameters.CqOffsets.Tail);
        _cqMask = *(uint*)(_rings + parameters.CqOffsets.RingMask);
        _cqes = (IoUringSyscalls.Completion*)(_rings + parameters.CqOffsets.Cqes);
    }

    /// <summary>Queues an IORING_OP_URING_CMD; <paramref name="command"/> (at most 80 bytes) goes to the SQE's cmd area.</summary>
    public void PrepareUringCommand(int fd, uint commandOp, void* address, uint length, ulong userData, ReadOnlySpan<byte> command)
    {
        byte* sqe = NextSqe();
        sqe[0] = OpUringCmd;
        *(int*)(sqe + 4) = fd;
        *(uint*)(sqe + 8) = commandOp; // cmd_op shares the union with off
        *(ulong*)(sqe + 16) = (ulong)address;
        *(uint*)(sqe + 24) = length;
        *(ulong*)(sqe + 32) = userData;
        command.CopyTo(new Span<byte>(sqe + 48, SqeSize - 48));
    }

    /// <summary>Queues an IORING_OP_READ of <paramref name="length"/> bytes into <paramref name="buffer"/>.</summary>
    public void PrepareRead(int fd, void* buffer, uint length, ulong userData)
    {
        byte* sqe = NextSqe();
        sqe[0] = OpRead;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 16) = (ulong)buffer;
        *(uint*)(sqe + 24) = length;
        *(ulong*)(sqe + 32) = userData;
    }

    /// <summary>
    /// Submits what was prepared and waits until at least <paramref name="minComplete"/> completions are ready.
    /// Returns 0 or a negative errno (EINTR is retried).
    /// </summary>
    public int SubmitAndWait(uint minComplete)
    {
        while (true)
        {
            int result = IoUringSyscalls.Enter(_fd, _pendingSubmissions, minComplete, IoUringSyscalls.EnterGetEvents);
            if (result >= 0)
            {
                _pendingSubmissions -= (uint)result;
                return 0;
            }

            int errno = Libc.LastErrno;
            if (errno != (int)Errno.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Takes the next completion, if any.</summary>
    public bool TryTakeCompletion(out ulong userData, out int result)
    {
        uint head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail))
        {
            userData = 0;
            result = 0;
            return false;
        }

        IoUringSyscalls.Completion* completion = _cqes + (head & _cqMask);
        userData = completion->UserData;
        result = completion->Result;
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        IoUringSyscalls.Munmap(_sqes, _sqesLength);
        IoUringSyscalls.Munmap(_rings, _ringsLength);
        IoUringSyscalls.Close(_fd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* NextSqe()
    {
        if (_pendingSubmissions >= _sqEntries)
        {
            throw new InvalidOperationException("io_uring submission queue overflow (more entries prepared than the ring holds)");
        }

        uint tail = *_sqTail;
        uint index = tail & _sqMask;
        byte* sqe = _sqes + (index * SqeSize);
        new Span<byte>(sqe, SqeSize).Clear();
        _sqArray[index] = index;
        // Published before it is filled in: without SQPOLL the kernel reads entries only inside io_uring_enter,
        // which only this thread calls.
        Volatile.Write(ref *_sqTail, tail + 1);
        _pendingSubmissions++;
        return sqe;
    }
}
