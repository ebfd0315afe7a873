using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// One FUSE-over-io_uring ring entry: the two buffers registered with the kernel (struct fuse_uring_req_header and
/// the payload) and the request context that serves whatever request the kernel puts in them. The payload buffer
/// is the context's reply buffer, so replies are built in place; the request is copied out first (it is small).
/// </summary>
internal sealed unsafe class RingEntry
{
    // struct fuse_uring_req_header: in_out[128] (fuse_in_header, then fuse_out_header), op_in[128] (the opcode's
    // fixed argument), struct fuse_uring_ent_in_out { flags, commit_id, payload_sz, padding, reserved }.
    public const int HeaderSize = 288;
    private const int OpInOffset = 128;
    private const int OpInSize = 128;
    private const int CommitIdOffset = 256 + 8;
    private const int PayloadSizeOffset = 256 + 16;

    private readonly byte[] _header = GC.AllocateArray<byte>(HeaderSize, pinned: true);
    private readonly Libc.IoVector[] _vectors = GC.AllocateArray<Libc.IoVector>(2, pinned: true);
    private bool _replyStaged;

    public RingEntry(int index, UringQueue queue, int inputSize, int payloadSize)
    {
        Index = index;
        Queue = queue;
        // The reply header slot sits in front of the payload, where the dispatcher expects it.
        byte[] output = GC.AllocateUninitializedArray<byte>(OutHeader.Size + payloadSize, pinned: true);
        Context = new RequestContext(inputSize, output, this);
        _vectors[0] = new Libc.IoVector { Base = HeaderPointer, Length = HeaderSize };
        _vectors[1] = new Libc.IoVector { Base = PayloadPointer, Length = (nuint)payloadSize };
    }

    public int Index { get; }

    public UringQueue Queue { get; }

    public RequestContext Context { get; }

    /// <summary>The fuse request id the kernel expects back on commit (fuse_uring_ent_in_out.commit_id).</summary>
    public ulong CommitId => *(ulong*)(HeaderPointer + CommitIdOffset);

    /// <summary>The iovec pair given to FUSE_IO_URING_CMD_REGISTER.</summary>
    public Libc.IoVector* Vectors => (Libc.IoVector*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_vectors));

    private byte* HeaderPointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_header));

    private byte* PayloadPointer => Context.OutputPointer + OutHeader.Size;

    /// <summary>
    /// Copies the request the kernel delivered into the context's input buffer, laid out as on /dev/fuse: the in
    /// header, the opcode's fixed argument (op_in) and the rest of the arguments (the payload's first bytes).
    /// </summary>
    public void LoadRequest()
    {
        _replyStaged = false;
        byte* header = HeaderPointer;
        uint total = ((InHeader*)header)->Length;
        int payloadLength = (int)*(uint*)(header + PayloadSizeOffset);
        // in_header.len counts every argument; what is not in the payload is the fixed argument in op_in.
        int argumentLength = Math.Clamp((int)total - InHeader.Size - payloadLength, 0, OpInSize);
        Span<byte> input = Context.Input;
        new ReadOnlySpan<byte>(header, InHeader.Size).CopyTo(input);
        new ReadOnlySpan<byte>(header + OpInOffset, argumentLength).CopyTo(input[InHeader.Size..]);
        int start = InHeader.Size + argumentLength;
        // Requests with big payloads (WRITE, SETXATTR) are refused without reading them; keep what fits.
        int copied = Math.Clamp(payloadLength, 0, input.Length - start);
        new ReadOnlySpan<byte>(PayloadPointer, copied).CopyTo(input[start..]);
        Context.InputLength = start + copied;
    }

    /// <summary>Moves the reply header the dispatcher wrote in front of the payload into the registered header.</summary>
    public void StageReply()
    {
        byte* header = HeaderPointer;
        OutHeader reply = *(OutHeader*)Context.OutputPointer;
        *(OutHeader*)header = reply;
        *(uint*)(header + PayloadSizeOffset) = reply.Length - OutHeader.Size;
        _replyStaged = true;
    }

    /// <summary>Makes sure a reply is staged before commit (a dispatcher bug would otherwise hang the caller).</summary>
    public bool EnsureReplyStaged(ulong unique)
    {
        if (_replyStaged)
        {
            return true;
        }

        *(OutHeader*)Context.OutputPointer = new OutHeader { Length = OutHeader.Size, Error = -(int)Errno.EIO, Unique = unique };
        StageReply();
        return false;
    }
}
