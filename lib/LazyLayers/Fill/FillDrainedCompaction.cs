using System.Diagnostics;
using System.Runtime;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// One compacting collection when the store's last fill ends (nothing queued or filling). A fill is the daemon's biggest
/// burst of allocation (chunk buffers, decompression, unpacking: ~200 MB for bench/lazy's small image), and it leaves
/// tens of megabytes of large-object garbage that nothing collects while pulls and container starts keep the daemon busy
/// (the host's idle trimmer waits for a quiet moment): bench/lazy's 10-image row measured ~230 MB right after, ~185 MB
/// once trimmed. The cost is one blocking collection per drained fill, which stalls the daemon's other work (FUSE requests
/// of layers still served lazily, gRPC calls) for its duration; the files of the layers just made local are read from
/// their local copy (bound on top of the mount), without the daemon.
/// </summary>
public static class FillDrainedCompaction
{
    /// <summary>Collects when <paramref name="store"/> has no layer queued or filling; what it took, or null when it did not.</summary>
    public static Compaction? CollectIfDrained(LayerStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.CountIn(LayerState.Queued) > 0 || store.CountIn(LayerState.Filling) > 0) return null;
        var (started, before) = (Stopwatch.GetTimestamp(), GC.GetTotalMemory(forceFullCollection: false));
        RangeBuffers.ReleaseIdle(); // the fills' chunk buffers, collected with the rest
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return new Compaction(Stopwatch.GetElapsedTime(started), before, GC.GetTotalMemory(forceFullCollection: false));
    }

    /// <summary>One collection: how long it stalled the daemon, and the managed heap before and after.</summary>
    public sealed record Compaction(TimeSpan Duration, long HeapBytesBefore, long HeapBytesAfter);
}
