using System.Text;

namespace PluggableSnapshotter.Host.Linux;

/// <summary>Reads the mount table (/proc/self/mountinfo) and unmounts what lies under a directory.</summary>
internal static class MountTable
{
    /// <summary>Mount points at or below <paramref name="directory"/>, deepest first (the order they must be unmounted in).</summary>
    public static IReadOnlyList<string> MountsUnder(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // Field 5 is the mount point, octal-escaped (\040 for a space).
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }
            var mountPoint = Unescape(fields[4]);
            if (mountPoint == root || mountPoint.StartsWith(root + "/", StringComparison.Ordinal))
            {
                result.Add(mountPoint);
            }
        }
        return result.OrderByDescending(path => path.Length).ToList();
    }

    /// <summary>True when something is mounted exactly at <paramref name="path"/>.</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return MountsUnder(full).Contains(full);
    }

    /// <summary>Unmounts everything at or below <paramref name="directory"/>: forced first (a dead FUSE server), lazily if busy.</summary>
    public static void UnmountAllUnder(string directory)
    {
        foreach (var mountPoint in MountsUnder(directory))
        {
            Unmount(mountPoint);
        }
    }

    /// <summary>Unmounts one mount point; a forced unmount, then a lazy one when the mount is busy.</summary>
    public static void Unmount(string mountPoint)
    {
        if (LibC.umount2(mountPoint, LibC.MNT_FORCE) == 0)
        {
            return;
        }
        if (LibC.umount2(mountPoint, LibC.MNT_DETACH) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno is not (LibC.EINVAL or LibC.ENOENT))
            {
                throw new IOException($"unmount {mountPoint}: errno {errno}");
            }
        }
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
