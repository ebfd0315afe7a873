using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// The buffers and cancellation of one request in flight. Contexts are pooled: a request that completes
/// synchronously reuses its worker's context, one that waits keeps it until it is answered.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "its CancellationTokenSource has no timer and is replaced, not disposed, when cancelled: nothing to release")]
internal sealed class RequestContext
{
    private readonly byte[] _smallOutput;
    private CancellationTokenSource _cancellation = new();

    public RequestContext(int inputSize, int outputSize)
    {
        // Pinned so read(2) and write(2) can use the arrays directly, with no copy and no fixed statement cost.
        Input = GC.AllocateUninitializedArray<byte>(inputSize, pinned: true);
        _smallOutput = GC.AllocateUninitializedArray<byte>(outputSize, pinned: true);
        Output = _smallOutput;
    }

    /// <summary>A context bound to an io_uring entry: replies are built in the entry's registered payload buffer.</summary>
    public RequestContext(int inputSize, byte[] ringOutput, RingEntry entry)
    {
        Input = GC.AllocateUninitializedArray<byte>(inputSize, pinned: true);
        _smallOutput = ringOutput;
        Output = ringOutput;
        RingEntry = entry;
    }

    /// <summary>The io_uring entry this request arrived on; null for a request read from /dev/fuse.</summary>
    public RingEntry? RingEntry { get; }

    /// <summary>The request as read from /dev/fuse.</summary>
    public byte[] Input { get; }

    /// <summary>The reply: an out header followed by the payload.</summary>
    public byte[] Output { get; private set; }

    /// <summary>Switches the reply to a borrowed buffer that holds the largest READ, until <see cref="Reset"/>.</summary>
    public void UseLargeOutput()
    {
        // A ring entry's payload buffer already holds the largest reply the kernel accepts.
        if (RingEntry is null && ReferenceEquals(Output, _smallOutput))
        {
            Output = LargeBufferPool.Rent();
        }
    }

    /// <summary>Bytes of <see cref="Input"/> holding the current request.</summary>
    public int InputLength { get; set; }

    /// <summary>The unique id of the current request (what INTERRUPT names).</summary>
    public ulong Unique { get; set; }

    /// <summary>Cancelled by INTERRUPT or when the session ends.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>The request's header.</summary>
    public ref readonly InHeader Header => ref MemoryMarshal.AsRef<InHeader>(Input.AsSpan(0, InHeader.Size));

    /// <summary>The request body after the header.</summary>
    public Span<byte> Body => Input.AsSpan(InHeader.Size, InputLength - InHeader.Size);

    /// <summary>The payload area of the reply buffer.</summary>
    public Memory<byte> Payload => Output.AsMemory(OutHeader.Size);

    /// <summary>Reads the fixed-size argument at the start of the body.</summary>
    public T Argument<T>() where T : unmanaged => MemoryMarshal.Read<T>(Body);

    /// <summary>The NUL-terminated name that follows a fixed-size argument of <paramref name="offset"/> bytes.</summary>
    public ReadOnlyMemory<byte> NameAfter(int offset)
    {
        Memory<byte> rest = Input.AsMemory(InHeader.Size + offset, InputLength - InHeader.Size - offset);
        int end = rest.Span.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>Cancels the request (INTERRUPT); thread-safe against reuse by checking the unique id.</summary>
    public void Cancel(ulong unique)
    {
        lock (this)
        {
            if (Unique == unique)
            {
                _cancellation.Cancel();
            }
        }
    }

    /// <summary>Makes the context ready for the next request.</summary>
    public void Reset()
    {
        lock (this)
        {
            Unique = 0;
            if (!ReferenceEquals(Output, _smallOutput))
            {
                LargeBufferPool.Return(Output);
                Output = _smallOutput;
            }

            if (!_cancellation.TryReset())
            {
                _cancellation.Dispose();
                _cancellation = new CancellationTokenSource();
            }
        }
    }

    /// <summary>Pointer to the input buffer (pinned).</summary>
    public unsafe byte* InputPointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Input));

    /// <summary>Pointer to the output buffer (pinned).</summary>
    public unsafe byte* OutputPointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Output));
}
