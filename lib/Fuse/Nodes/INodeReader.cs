namespace PluggableSnapshotter.Fuse;

/// <summary>A regular file node whose content can be read (OPEN, READ).</summary>
public interface INodeReader
{
    /// <summary>Copies content starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    /// <param name="offset">The byte offset in the file.</param>
    /// <param name="destination">The caller-owned reply buffer; valid only until the returned task completes.</param>
    /// <param name="cancellationToken">Cancelled when the reader is interrupted (a signal) or the mount ends; answer <see cref="Errno.EINTR"/> then.</param>
    /// <returns>The number of bytes written: the destination's length, or less only at end of file.</returns>
    ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
