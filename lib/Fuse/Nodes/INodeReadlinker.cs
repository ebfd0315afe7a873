namespace PluggableSnapshotter.Fuse;

/// <summary>A symbolic link node (READLINK).</summary>
public interface INodeReadlinker
{
    /// <summary>Writes the link target (UTF-8, no terminator) into <paramref name="destination"/>.</summary>
    /// <param name="destination">The caller-owned reply buffer (at least PATH_MAX bytes).</param>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    /// <returns>The target's length, or <see cref="Errno.ENAMETOOLONG"/> when it does not fit.</returns>
    ValueTask<FuseResult<int>> ReadlinkAsync(Memory<byte> destination, CancellationToken cancellationToken);
}
