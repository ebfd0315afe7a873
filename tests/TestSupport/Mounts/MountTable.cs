using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Mounts;

/// <summary>Reads /proc/self/mountinfo and removes mounts a test left behind.</summary>
public static class MountTable
{
    /// <summary>Mount points at or below <paramref name="directory"/>, parents before children.</summary>
    public static IReadOnlyList<string> MountPointsUnder(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // Field 5 is the mount point, with spaces and such escaped as \ooo (proc(5)).
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }
            var mountPoint = Unescape(fields[4]);
            if (mountPoint == prefix || mountPoint.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                points.Add(mountPoint);
            }
        }
        return points;
    }

    /// <summary>True if <paramref name="path"/> is itself a mount point.</summary>
    public static bool IsMountPoint(string path) =>
        MountPointsUnder(path).Contains(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));

    /// <summary>
    /// Lazily unmounts everything at or below <paramref name="directory"/>, deepest first,
    /// repeating while mounts remain (stacked mounts need one pass each).
    /// </summary>
    /// <returns>Mount points that could not be unmounted (empty on success).</returns>
    public static IReadOnlyList<string> UnmountUnder(string directory)
    {
        for (var pass = 0; pass < 8; pass++)
        {
            var points = MountPointsUnder(directory);
            if (points.Count == 0)
            {
                return points;
            }
            foreach (var point in points.Reverse())
            {
                LibC.Umount2(point, LibC.MntDetach);
            }
        }
        return MountPointsUnder(directory);
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && field.AsSpan(i + 1, 3).ToString() is var octal
                && octal.All(c => c is >= '0' and <= '7'))
            {
                bytes.Add(Convert.ToByte(octal, 8));
                i += 3;
            }
            else
            {
                bytes.Add((byte)field[i]);
            }
        }
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }
}
