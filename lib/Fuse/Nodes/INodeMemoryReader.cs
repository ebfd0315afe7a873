namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A file whose content already sits in memory that never changes (an in-memory file, a memory-mapped cache): the
/// server writes the reply straight from that memory, saving the copy into its own buffer. Preferred over
/// <see cref="INodeReader"/> when a node implements both.
/// </summary>
public interface INodeMemoryReader
{
    /// <summary>Returns the content from <paramref name="offset"/>, at most <paramref name="length"/> bytes (fewer only at end of file).</summary>
    /// <param name="offset">The byte offset in the file.</param>
    /// <param name="length">The most bytes the kernel asked for.</param>
    /// <param name="cancellationToken">Cancelled when the reader is interrupted or the mount ends.</param>
    /// <returns>Memory that must stay valid and unchanged for the node's life (the server does not copy it first).</returns>
    ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken);
}
