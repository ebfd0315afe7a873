namespace PluggableSnapshotter.Fuse;

/// <summary>A directory node that resolves child names (LOOKUP).</summary>
public interface INodeLookuper
{
    /// <summary>Finds the child called <paramref name="name"/>, or answers <see cref="Errno.ENOENT"/>.</summary>
    /// <param name="name">The child's name in UTF-8, without a terminator. Valid only until the returned task completes.</param>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    /// <returns>The child, which must also implement <see cref="INodeGetattrer"/>; return the same object for the same child every time.</returns>
    ValueTask<FuseResult<FuseNode>> LookupAsync(ReadOnlyMemory<byte> name, CancellationToken cancellationToken);
}
