using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>Returns a layer's mount point to the empty directory it was before a backend tried it.</summary>
internal static class MountpointReset
{
    /// <summary>
    /// Unmounts through <paramref name="unmount"/> (the backend that may have mounted it), forces off whatever is still
    /// mounted and deletes what was written. The contract says a backend cleans up after itself; this makes sure anyway,
    /// since the next backend, or containerd, writes into this directory.
    /// </summary>
    public static async Task ResetAsync(string mountpoint, Func<string, Task> unmount, ILogger logger)
    {
        if (MountTable.IsMountPoint(mountpoint))
        {
            try
            {
                await unmount(mountpoint);
            }
            catch (Exception e)
            {
                HostLog.BackendUnmountFailed(logger, e, mountpoint);
            }
        }
        MountTable.UnmountAllUnder(mountpoint);
        if (!Directory.Exists(mountpoint))
        {
            Directory.CreateDirectory(mountpoint);
            return;
        }
        foreach (var entry in new DirectoryInfo(mountpoint).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }
}
