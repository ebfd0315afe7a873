namespace PluggableSnapshotter.Fuse.Server;

/// <summary>Bytes allocated by requests answered synchronously on the loop threads (the hot path; should stay flat).</summary>
internal sealed class AllocationCounter
{
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds what the calling thread allocated since <paramref name="threadBytesBefore"/> (GC.GetAllocatedBytesForCurrentThread).</summary>
    public void AddSince(long threadBytesBefore) => Interlocked.Add(ref _bytes, GC.GetAllocatedBytesForCurrentThread() - threadBytesBefore);
}
