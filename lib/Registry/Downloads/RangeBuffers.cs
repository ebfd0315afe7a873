using System.Buffers;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Buffers for range requests (fill chunks, compressed spans), a few megabytes each. A pool of its own, holding at most
/// two arrays per size: <see cref="ArrayPool{T}.Shared"/> keeps dozens per size per core, and with arrays this large
/// that kept the daemon hundreds of megabytes above what it uses (bench/lazy's memory rows). Idle arrays go back to the
/// GC once full collections find the pool unused (<see cref="IdleReleasingArrayPool"/>): a finished fill leaves none
/// resident after the next two full collections without a rent (the idle trimmer's, for one).
/// </summary>
public static class RangeBuffers
{
    /// <summary>The pool; arrays over 16 MiB are not pooled.</summary>
    public static ArrayPool<byte> Pool { get; } = new IdleReleasingArrayPool(maxArrayLength: 16 * 1024 * 1024, maxArraysPerBucket: 2);
}
