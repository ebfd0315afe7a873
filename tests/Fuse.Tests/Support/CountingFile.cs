using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>An in-memory file that counts the READs that reach it (the page cache answers the others).</summary>
internal sealed class CountingFile(byte[] content) : MemoryFile(content)
{
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    public override ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return base.ReadMemoryAsync(offset, length, cancellationToken);
    }
}
