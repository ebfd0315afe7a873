using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Bench;

/// <summary>
/// A large file whose content is one small block repeated, served with <see cref="INodeMemoryReader"/>: the source
/// stays in the CPU cache, as with the C baseline's static buffer, so the two servers compare on equal terms.
/// </summary>
internal sealed class RepeatingFile(byte[] block, long size) : MemoryNode(FileModes.RegularFile | 0x1A4), INodeMemoryReader
{
    public ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        // Reads arrive block-aligned (the kernel asks for whole pages up to max_pages), so one slice answers each.
        long remaining = Math.Max(0, size - offset);
        int start = (int)(offset % block.Length);
        int count = (int)Math.Min(Math.Min(length, remaining), block.Length - start);
        return ValueTask.FromResult<FuseResult<ReadOnlyMemory<byte>>>((ReadOnlyMemory<byte>)block.AsMemory(start, count));
    }

    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = size };
}
