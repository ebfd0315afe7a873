namespace PluggableSnapshotter.Fuse;

/// <summary>A node (usually the root) that reports file system statistics (STATFS).</summary>
public interface INodeStatfser
{
    /// <summary>Returns the file system's statistics.</summary>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    ValueTask<FuseResult<FuseStatfs>> StatfsAsync(CancellationToken cancellationToken);
}
