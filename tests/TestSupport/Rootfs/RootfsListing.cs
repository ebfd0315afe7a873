using System.Security.Cryptography;
using Mono.Unix.Native;

namespace PluggableSnapshotter.TestSupport.Rootfs;

/// <summary>
/// Lists a whole tree (without following symlinks) as <see cref="RootfsEntry"/> values
/// and compares two listings, e.g. a rootfs mounted from our snapshots against the same
/// image unpacked by umoci.
/// </summary>
public static class RootfsListing
{
    /// <summary>
    /// xattrs that describe the storage rather than the content: overlayfs bookkeeping
    /// and security labels set by the host.
    /// </summary>
    public static readonly IReadOnlyList<string> IgnoredXattrPrefixes = ["trusted.overlay.", "user.overlay.", "security."];

    /// <summary>Every path under <paramref name="root"/>, sorted by path, the root itself as "/".</summary>
    public static IReadOnlyList<RootfsEntry> Capture(string root)
    {
        var entries = new List<RootfsEntry>();
        Walk(Path.GetFullPath(root), "/", entries);
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return entries;
    }

    /// <summary>Differences between two listings, one readable line each; empty when equal.</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<RootfsEntry> expected, IReadOnlyList<RootfsEntry> actual)
    {
        var differences = new List<string>();
        var actualByPath = actual.ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var want in expected)
        {
            if (!actualByPath.Remove(want.Path, out var got))
            {
                differences.Add($"missing: {want}");
            }
            else if (want != got)
            {
                differences.Add($"differs: {want.Path}\n  expected {want}\n  actual   {got}");
            }
        }
        differences.AddRange(actualByPath.Values.OrderBy(e => e.Path, StringComparer.Ordinal).Select(e => $"unexpected: {e}"));
        return differences;
    }

    /// <summary>The listing as text, one entry per line.</summary>
    public static string Format(IEnumerable<RootfsEntry> entries) => string.Join('\n', entries);

    private static void Walk(string fullPath, string path, List<RootfsEntry> entries)
    {
        var entry = Describe(fullPath, path);
        entries.Add(entry);
        if (entry.Type != "dir")
        {
            return;
        }
        foreach (var child in Directory.EnumerateFileSystemEntries(fullPath))
        {
            var name = Path.GetFileName(child);
            Walk(child, path == "/" ? "/" + name : path + "/" + name, entries);
        }
    }

    private static RootfsEntry Describe(string fullPath, string path)
    {
        if (Syscall.lstat(fullPath, out var stat) != 0)
        {
            throw new IOException($"lstat {fullPath}: {Stdlib.GetLastError()}");
        }
        var type = (stat.st_mode & FilePermissions.S_IFMT) switch
        {
            FilePermissions.S_IFREG => "file",
            FilePermissions.S_IFDIR => "dir",
            FilePermissions.S_IFLNK => "symlink",
            FilePermissions.S_IFCHR => "char",
            FilePermissions.S_IFBLK => "block",
            FilePermissions.S_IFIFO => "fifo",
            FilePermissions.S_IFSOCK => "socket",
            var other => $"unknown({(uint)other:x})",
        };
        var mode = Convert.ToString((uint)stat.st_mode & 0xFFF, 8).PadLeft(4, '0');
        var isFile = type == "file";
        var isDevice = type is "char" or "block";
        return new RootfsEntry(
            path,
            type,
            mode,
            stat.st_uid,
            stat.st_gid,
            isFile || type == "symlink" ? stat.st_size : 0,
            isFile ? HashFile(fullPath) : null,
            type == "symlink" ? new FileInfo(fullPath).LinkTarget : null,
            isDevice ? $"{Major(stat.st_rdev)}:{Minor(stat.st_rdev)}" : null,
            isFile ? (long)stat.st_nlink : 0,
            ReadXattrs(fullPath));
    }

    private static string HashFile(string fullPath)
    {
        using var stream = File.OpenRead(fullPath);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string ReadXattrs(string fullPath)
    {
        var pairs = new List<string>();
        foreach (var name in Xattrs.List(fullPath).Where(n => !IgnoredXattrPrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))))
        {
            pairs.Add($"{name}={Convert.ToHexStringLower(Xattrs.Get(fullPath, name))}");
        }
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(';', pairs);
    }

    // glibc's gnu_dev_major/minor encoding of dev_t (sys/sysmacros.h).
    private static ulong Major(ulong dev) => ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000);

    private static ulong Minor(ulong dev) => (dev & 0xff) | ((dev >> 12) & 0xffffff00);
}
