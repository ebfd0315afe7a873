namespace PluggableSnapshotter.Fuse;

/// <summary>A node with extended attributes that can be read (GETXATTR).</summary>
public interface INodeGetxattrer
{
    /// <summary>
    /// Finds the attribute <paramref name="name"/> and returns its value's length, copying the value into
    /// <paramref name="destination"/> only when it fits. The server turns the length into the size probe
    /// answer (a zero-sized request) or ERANGE (a too small buffer), so nodes need not handle either.
    /// </summary>
    /// <param name="name">The attribute name in UTF-8 (e.g. "trusted.overlay.opaque"), no terminator.</param>
    /// <param name="destination">The caller-owned reply buffer; may be empty.</param>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    /// <returns>The value's length, or <see cref="Errno.ENODATA"/> when the node has no such attribute.</returns>
    ValueTask<FuseResult<int>> GetxattrAsync(ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken);
}
