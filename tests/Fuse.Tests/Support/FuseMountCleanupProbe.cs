namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>Asks the kernel's mount table whether a path is a mount point.</summary>
internal static class FuseMountCleanupProbe
{
    public static bool IsMounted(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        // Field 5 of /proc/self/mountinfo is the mount point (spaces escaped as \040; test paths have none).
        return File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == full);
    }
}
