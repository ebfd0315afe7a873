using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers;

/// <summary>
/// Copies an unpacked layer with every owner shifted by an id map (for id-mapped containers on kernels or file systems
/// without id-mapped mounts). Keeps types, modes (setuid/setgid/sticky included), xattrs, hard links, devices and times.
/// Like <see cref="LayerApplier"/>, it writes a staging directory and renames it into place, so a failure leaves nothing.
/// </summary>
public static class IdMappedCopier
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> (which must not exist) with owners mapped.</summary>
    public static async Task CopyAsync(string source, string target, Func<uint, uint> mapUid, Func<uint, uint> mapGid, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(target))!, $".{Path.GetFileName(target)}.copy-{Guid.NewGuid():N}");
        try
        {
            var links = new Dictionary<ulong, string>();
            var directories = new List<(string Path, FileStatus Status)>();
            await CopyEntryAsync(source, staging, links, directories, mapUid, mapGid, cancellationToken).ConfigureAwait(false);
            for (var i = directories.Count - 1; i >= 0; i--) FileTimes.SetNoFollow(directories[i].Path, directories[i].Status.Accessed, directories[i].Status.Modified);
            Libc.Check(Libc.rename(staging, target), "rename into", target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static async Task CopyEntryAsync(string from, string to, Dictionary<ulong, string> links, List<(string, FileStatus)> directories,
        Func<uint, uint> mapUid, Func<uint, uint> mapGid, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var status = FileStatus.Of(from);
        if (!status.IsDirectory && status.Links > 1)
        {
            if (links.TryGetValue(status.Inode, out var first))
            {
                Libc.Check(Libc.link(first, to), "link", to);
                return;
            }

            links[status.Inode] = to;
        }

        if (status.IsDirectory) Libc.Check(Libc.mkdir(to, Libc.Mode0755), "mkdir", to);
        else if (status.IsRegular) await CopyContentAsync(from, to, cancellationToken).ConfigureAwait(false);
        else if (status.IsSymlink) Libc.Check(Libc.symlink(new FileInfo(from).LinkTarget!, to), "symlink", to);
        else Libc.Check(Libc.mknod(to, status.Mode, Libc.MakeDev(status.RdevMajor, status.RdevMinor)), "mknod", to);

        Libc.Check(Libc.lchown(to, mapUid(status.Uid), mapGid(status.Gid)), "lchown", to);
        foreach (var name in Xattrs.List(from))
        {
            if (Xattrs.Get(from, name) is { } value) Xattrs.SetNoFollow(to, name, value);
        }

        if (!status.IsSymlink) Libc.Check(Libc.chmod(to, status.Permissions), "chmod", to); // after chown, which clears setuid/setgid
        if (status.IsDirectory)
        {
            directories.Add((to, status));
            foreach (var child in Directory.EnumerateFileSystemEntries(from))
            {
                await CopyEntryAsync(child, Path.Combine(to, Path.GetFileName(child)), links, directories, mapUid, mapGid, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            FileTimes.SetNoFollow(to, status.Accessed, status.Modified);
        }
    }

    private static async Task CopyContentAsync(string from, string to, CancellationToken cancellationToken)
    {
        var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        await using var inputDisposal = input.ConfigureAwait(false);
        var output = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
        await using var outputDisposal = output.ConfigureAwait(false);
        await input.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
    }
}
