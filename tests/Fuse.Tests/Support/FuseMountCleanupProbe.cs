using PluggableSnapshotter.Fuse.Interop;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>Asks the kernel's mount table (read by the library's own parser) whether a path is a mount point.</summary>
internal static class FuseMountCleanupProbe
{
    public static bool IsMounted(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return MountTable.Read().Any(mount => mount.MountPoint == full);
    }
}
