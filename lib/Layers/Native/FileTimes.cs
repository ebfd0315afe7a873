namespace PluggableSnapshotter.Layers.Native;

/// <summary>Sets access and modification times with nanosecond precision, on a path without following links.</summary>
internal static unsafe class FileTimes
{
    public static void SetNoFollow(string path, Timespec accessed, Timespec modified)
    {
        var times = stackalloc Timespec[2];
        times[0] = accessed;
        times[1] = modified;
        Libc.Check(Libc.utimensat(Libc.AtFdCwd, path, times, Libc.AtSymlinkNoFollow), "utimensat", path);
    }
}
