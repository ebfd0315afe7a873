using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Mounts;

/// <summary>Reads /proc/self/mountinfo and removes mounts a test left behind.</summary>
public static class MountTable
{
    /// <summary>Every mount of this process's mount namespace: mount point and file system type, in table order (parents first).</summary>
    public static IReadOnlyList<(string MountPoint, string FileSystemType)> Read()
    {
        var mounts = new List<(string, string)>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw": field 5 is the mount point (escaped as \ooo,
            // proc(5)); the optional fields end at " - ", after which comes the type.
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", Math.Min(6, fields.Length));
            if (fields.Length < 7 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }
            mounts.Add((Unescape(fields[4]), fields[separator + 1]));
        }
        return mounts;
    }

    /// <summary>Mount points at or below <paramref name="directory"/>, parents before children.</summary>
    public static IReadOnlyList<string> MountPointsUnder(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return [.. Read().Select(m => m.MountPoint).Where(m => m == prefix || m.StartsWith(prefix + "/", StringComparison.Ordinal))];
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
