namespace PluggableSnapshotter.Fuse;

/// <summary>A directory node whose entries can be listed (OPENDIR, READDIR, READDIRPLUS).</summary>
public interface INodeReaddirer
{
    /// <summary>
    /// Returns the directory's entries, without "." and "..", in a stable order. Called once per open
    /// directory; the list is served from by offset until the directory is released, so return an immutable
    /// snapshot (it may be the same cached list every time).
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    ValueTask<FuseResult<IReadOnlyList<FuseDirEntry>>> ReaddirAsync(CancellationToken cancellationToken);
}
