using PluggableSnapshotter.Fuse.Interop;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// Finds and removes FUSE mounts whose server is gone (a crashed or killed process leaves a mount that answers
/// every access with ENOTCONN). Run <see cref="CleanupDisconnectedAsync"/> at startup over the directory the
/// mounts live under.
/// </summary>
public static class FuseMountCleanup
{
    /// <summary>True when <paramref name="mountPoint"/> is a FUSE mount whose server is gone (statfs fails with ENOTCONN).</summary>
    public static bool IsDisconnected(string mountPoint) => Libc.IsDisconnected(mountPoint);

    /// <summary>
    /// Lazily unmounts every disconnected FUSE mount at or under <paramref name="directory"/> and returns their paths.
    /// Mounts with a live server are left alone.
    /// </summary>
    /// <param name="directory">The directory to search, e.g. the snapshotter's mount root.</param>
    /// <param name="cancellationToken">Stops waiting for a probe of a mount whose server hangs.</param>
    public static async Task<IReadOnlyList<string>> CleanupDisconnectedAsync(string directory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string root = AsMountTableNamesIt(directory);
        var cleaned = new List<string>();
        // Deepest first, so nested mounts go before their parents.
        IEnumerable<MountInfo> candidates = MountTable.Read()
            .Where(mount => MountTable.IsFuse(mount) && IsAtOrUnder(mount.MountPoint, root))
            .OrderByDescending(mount => mount.MountPoint.Length);
        foreach (MountInfo mount in candidates)
        {
            // A live but hung server would block statfs: probe off the caller's thread so cancellation still works.
            bool dead = await Task.Run(() => Libc.IsDisconnected(mount.MountPoint), CancellationToken.None)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            if (dead)
            {
                Unmount(mount.MountPoint, UnmountMode.Lazy);
                cleaned.Add(mount.MountPoint);
            }
        }

        return cleaned;
    }

    /// <summary>
    /// Lazily detaches every mount at or under <paramref name="directory"/>, whatever its file system (a FUSE mount whose
    /// unmount failed, a bind), deepest first and again while mounts remain (stacked mounts go one per pass), so that a
    /// recursive delete of the directory afterwards cannot reach into one. Returns the mount points still there, with the
    /// last refusal's reason; both empty when nothing is mounted there any more.
    /// </summary>
    /// <param name="directory">The directory about to be deleted.</param>
    public static (IReadOnlyList<string> Left, string? Reason) DetachAllUnder(string directory)
    {
        string root = AsMountTableNamesIt(directory);
        string? reason = null;
        for (int pass = 0; pass < 8; pass++)
        {
            List<string> mounted = MountPointsUnder(root);
            if (mounted.Count == 0)
            {
                return ([], null);
            }

            foreach (string mountPoint in mounted.OrderByDescending(point => point.Length))
            {
                try
                {
                    Unmount(mountPoint, UnmountMode.Lazy);
                }
                catch (IOException e)
                {
                    reason = e.Message;
                }
            }
        }

        List<string> left = MountPointsUnder(root);
        return (left, left.Count == 0 ? null : reason);
    }

    /// <summary>Unmounts <paramref name="mountPoint"/> (umount2(2)).</summary>
    /// <exception cref="IOException">The kernel refused, e.g. EBUSY for <see cref="UnmountMode.Normal"/> with files open; <see cref="Exception.HResult"/> holds the errno.</exception>
    public static void Unmount(string mountPoint, UnmountMode mode)
    {
        int flags = mode switch
        {
            UnmountMode.Lazy => Libc.MNT_DETACH,
            UnmountMode.Force => Libc.MNT_FORCE | Libc.MNT_DETACH,
            _ => 0,
        };
        if (Libc.Umount2(mountPoint, flags) != 0)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"Unmounting {mountPoint} failed: {Libc.Describe(errno)}", errno);
        }
    }

    /// <summary>The mount table names resolved paths: a directory reached through a symbolic link must be compared resolved.</summary>
    private static string AsMountTableNamesIt(string directory) =>
        Path.TrimEndingDirectorySeparator(Libc.RealPath(directory) ?? Path.GetFullPath(directory));

    private static List<string> MountPointsUnder(string root) =>
        MountTable.Read().Select(mount => mount.MountPoint).Where(point => IsAtOrUnder(point, root)).Distinct().ToList();

    private static bool IsAtOrUnder(string path, string root) =>
        path == root || path.StartsWith(root == "/" ? root : root + "/", StringComparison.Ordinal);
}
