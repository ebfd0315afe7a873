using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Process-wide pool of pinned reply buffers big enough for the largest READ (256 pages plus the header). Only a
/// READ answered through <see cref="INodeReader"/> borrows one, so idle workers of many mounts (one per layer)
/// do not each pin a megabyte.
/// </summary>
internal static class LargeBufferPool
{
    public const int Size = 256 * 4096 + 4096;

    private static readonly int MaxIdle = Math.Max(8, 4 * Environment.ProcessorCount);
    private static readonly ConcurrentBag<byte[]> Idle = [];

    public static byte[] Rent() => Idle.TryTake(out byte[]? buffer) ? buffer : GC.AllocateUninitializedArray<byte>(Size, pinned: true);

    public static void Return(byte[] buffer)
    {
        if (Idle.Count < MaxIdle)
        {
            Idle.Add(buffer);
        }
    }
}
