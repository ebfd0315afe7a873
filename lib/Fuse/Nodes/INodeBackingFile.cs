using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A regular file node whose content is also in a local file (a fully fetched layer file, a cache file). With
/// <see cref="FuseMountOptions.Passthrough"/> on, OPEN hands that file to the kernel (FUSE passthrough, Linux 6.9+):
/// reads and mmap then go straight to it, at the speed of the file system it lives on, and never reach the server.
/// </summary>
public interface INodeBackingFile
{
    /// <summary>
    /// Opens the local file holding exactly this node's content, read-only; null to serve this open through READ
    /// (the content is not local yet). The server registers the handle with the kernel and disposes it. The file
    /// must live on a file system that is not itself stacked (ext4, xfs, tmpfs; not overlayfs or FUSE).
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the opener is interrupted or the mount ends.</param>
    ValueTask<SafeFileHandle?> OpenBackingFileAsync(CancellationToken cancellationToken);
}
