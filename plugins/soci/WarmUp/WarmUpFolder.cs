using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// Removes the warm-up's throw-away folder. A recursive delete follows into whatever is mounted below it: the made-up
/// layer's FUSE mount when its unmount failed, or anything else mounted there. So every mount at or under the folder is
/// detached first (lazily: open files keep working, the path no longer reaches it), and if one cannot be detached the
/// folder stays, logged, rather than have its delete reach through the mount.
/// </summary>
internal static class WarmUpFolder
{
    /// <summary>Removes <paramref name="directory"/>; false (and logged) when a mount in it could not be detached and it was left.</summary>
    public static bool Remove(string directory, ILogger logger)
    {
        if (!Directory.Exists(directory)) return true;
        var (left, reason) = FuseMountCleanup.DetachAllUnder(directory);
        if (left.Count > 0)
        {
            SociLog.WarmUpFolderLeft(logger, directory, string.Join(", ", left), reason ?? "still in the mount table");
            return false;
        }
        Directory.Delete(directory, recursive: true);
        return true;
    }
}
