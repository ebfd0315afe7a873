namespace PluggableSnapshotter.Sdk.Testing;

/// <summary>Empty mount points like the host's <c>snapshots/&lt;id&gt;/fs</c>, and the check that one was left as it was.</summary>
public static partial class MountPoints
{
    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        internal static partial int umount2(string target, int flags);
    }

    /// <summary>Creates <c>snapshots/&lt;n&gt;/fs</c> under the root, empty.</summary>
    public static string Create(string snapshotterRoot, int id) =>
        Directory.CreateDirectory(Path.Combine(snapshotterRoot, "snapshots", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "fs")).FullName;

    /// <summary>Null when <paramref name="mountpoint"/> is an empty directory with nothing mounted on it; else what is wrong.</summary>
    public static string? Disturbance(string mountpoint)
    {
        if (!Directory.Exists(mountpoint)) return $"{mountpoint} is gone";
        if (IsMounted(mountpoint)) return $"something is mounted on {mountpoint}";
        var left = Directory.EnumerateFileSystemEntries(mountpoint).Take(5).ToList();
        return left.Count == 0 ? null : $"{mountpoint} holds {string.Join(", ", left.Select(Path.GetFileName))}";
    }

    /// <summary>True when <paramref name="path"/> is a mount point of this process's mount namespace.</summary>
    public static bool IsMounted(string path) =>
        File.ReadLines("/proc/self/mountinfo").Select(line => line.Split(' ')).Any(fields => fields.Length > 4 && Unescape(fields[4]) == path);

    /// <summary>Every mount point under <paramref name="directory"/>, deepest first.</summary>
    public static IReadOnlyList<string> Under(string directory) =>
        [.. File.ReadLines("/proc/self/mountinfo").Select(line => Unescape(line.Split(' ')[4]))
            .Where(p => p.StartsWith(directory + "/", StringComparison.Ordinal)).OrderByDescending(p => p.Length)];

    /// <summary>Detaches a mount a failed backend left behind (umount2 MNT_DETACH), so the test can clean up.</summary>
    public static void Detach(string mountpoint) => _ = Native.umount2(mountpoint, 2);

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string field) => System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})",
        m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
