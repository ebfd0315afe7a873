using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Bench;

/// <summary>A file served only through <see cref="INodeReader"/> (copying into the caller's buffer), as network backends do.</summary>
internal sealed class CopyingFile(byte[] content) : MemoryNode(FileModes.RegularFile | 0x1A4), INodeReader
{
    public ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int start = (int)Math.Min(offset, content.Length);
        int count = Math.Min(destination.Length, content.Length - start);
        content.AsMemory(start, count).CopyTo(destination);
        return ValueTask.FromResult<FuseResult<int>>(count);
    }

    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = content.Length };
}
