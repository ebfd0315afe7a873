using System.Buffers;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Buffers for range requests (fill chunks, compressed spans), a few megabytes each. A pool of its own, holding at most
/// four arrays per size (a fill's concurrent requests; with two, a lazy read of bench/lazy's 1 GB image beside its
/// fill still allocated ~450 MB of them): <see cref="ArrayPool{T}.Shared"/> keeps dozens per size per core, and with
/// arrays this large that kept the daemon hundreds of megabytes above what it uses (bench/lazy's memory rows). Idle
/// arrays go back to the GC once full collections find the pool unused (<see cref="IdleReleasingArrayPool"/>), and
/// when the last fill ends (<see cref="ReleaseIdle"/>).
/// </summary>
public static class RangeBuffers
{
    private static readonly IdleReleasingArrayPool Buffers = new(maxArrayLength: 16 * 1024 * 1024, maxArraysPerBucket: 4);

    /// <summary>The pool; arrays over 16 MiB are not pooled.</summary>
    public static ArrayPool<byte> Pool => Buffers;

    /// <summary>Lets the idle arrays go now (the store's last fill ended).</summary>
    public static void ReleaseIdle() => Buffers.ReleaseIdle();
}
