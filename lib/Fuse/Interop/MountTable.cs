using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Fuse.Interop;

/// <summary>One line of /proc/self/mountinfo (proc(5)).</summary>
internal sealed record MountInfo(string MountPoint, string FileSystemType, string Source, uint DeviceMajor, uint DeviceMinor);

/// <summary>Reads the mount table of this process's mount namespace.</summary>
internal static class MountTable
{
    public static IReadOnlyList<MountInfo> Read()
    {
        var mounts = new List<MountInfo>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw": optional fields end at " - ".
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 7 || separator < 0 || separator + 2 >= fields.Length)
            {
                continue;
            }

            string[] device = fields[2].Split(':');
            mounts.Add(new MountInfo(
                Unescape(fields[4]),
                fields[separator + 1],
                Unescape(fields[separator + 2]),
                uint.Parse(device[0], CultureInfo.InvariantCulture),
                uint.Parse(device[1], CultureInfo.InvariantCulture)));
        }

        return mounts;
    }

    /// <summary>The newest mount at exactly <paramref name="mountPoint"/>, if any.</summary>
    public static MountInfo? Find(string mountPoint)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        return Read().LastOrDefault(mount => mount.MountPoint == full);
    }

    /// <summary>The top-most FUSE mount at <paramref name="mountPoint"/>, under any other mount stacked there (a bind of a local copy).</summary>
    public static MountInfo? FindFuse(string mountPoint)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        return Read().LastOrDefault(mount => mount.MountPoint == full && IsFuse(mount));
    }

    public static bool IsFuse(MountInfo mount) => mount.FileSystemType == "fuse" || mount.FileSystemType.StartsWith("fuse.", StringComparison.Ordinal);

    // The kernel escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length + 0 && IsOctal(field, i + 1))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(string field, int start) =>
        start + 3 <= field.Length && field.AsSpan(start, 3).IndexOfAnyExceptInRange('0', '7') < 0;
}
