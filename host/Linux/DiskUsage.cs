using Mono.Unix.Native;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Linux;

/// <summary>Disk usage of a directory tree as containerd counts it: allocated blocks and distinct inodes, not crossing mounts.</summary>
internal static class DiskUsage
{
    public static SnapshotUsage Measure(string root, CancellationToken cancellationToken)
    {
        if (Syscall.lstat(root, out var top) != 0)
        {
            return default;
        }
        var seen = new HashSet<ulong> { top.st_ino };
        long size = top.st_blocks * 512;
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directory = pending.Pop();
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                if (Syscall.lstat(entry, out var stat) != 0 || stat.st_dev != top.st_dev)
                {
                    continue;
                }
                if (seen.Add(stat.st_ino))
                {
                    size += stat.st_blocks * 512;
                }
                if ((stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFDIR)
                {
                    pending.Push(entry);
                }
            }
        }
        return new SnapshotUsage(size, seen.Count);
    }
}
