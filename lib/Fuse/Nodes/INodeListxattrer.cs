namespace PluggableSnapshotter.Fuse;

/// <summary>A node whose extended attribute names can be listed (LISTXATTR).</summary>
public interface INodeListxattrer
{
    /// <summary>
    /// Returns the length of the name list (each name in UTF-8 followed by a NUL byte), copying the list into
    /// <paramref name="destination"/> only when it fits; the server handles size probes and ERANGE.
    /// </summary>
    /// <param name="destination">The caller-owned reply buffer; may be empty.</param>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    ValueTask<FuseResult<int>> ListxattrAsync(Memory<byte> destination, CancellationToken cancellationToken);
}
