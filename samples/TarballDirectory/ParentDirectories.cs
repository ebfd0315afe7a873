using System.Diagnostics;
using PluggableSnapshotter.Sdk;

namespace TarballDirectory;

/// <summary>
/// containerd's applier gives a directory the layer does not list itself (only files below it) the owner, mode and times
/// of the same directory in the nearest lower layer that has one, so the merged view keeps it as it was; tar would make
/// it 0755 root. The lower layers are the <c>lowerdir=</c> of the active snapshot's overlay mount, nearest first.
/// (xattrs of such directories are not copied by this sample.)
/// </summary>
internal static class ParentDirectories
{
    public static async Task InheritAsync(string blob, string staging, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        var lowers = mounts.SelectMany(m => m.Options).Where(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))
            .SelectMany(o => o["lowerdir=".Length..].Split(':')).ToList();
        if (lowers.Count == 0) return;
        var listed = await ListedNamesAsync(blob, cancellationToken).ConfigureAwait(false);
        foreach (var directory in Directory.EnumerateDirectories(staging, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
        {
            var relative = Path.GetRelativePath(staging, directory);
            if (listed.Contains(relative)) continue;
            var lower = lowers.Select(l => Path.Combine(l, relative)).FirstOrDefault(p => new DirectoryInfo(p) is { Exists: true, LinkTarget: null });
            if (lower is null) continue;
            var (uid, gid) = Native.Owner(lower);
            Native.Chown(directory, uid, gid);
            File.SetUnixFileMode(directory, File.GetUnixFileMode(lower));
            Directory.SetLastWriteTimeUtc(directory, Directory.GetLastWriteTimeUtc(lower));
            Directory.SetLastAccessTimeUtc(directory, Directory.GetLastAccessTimeUtc(lower));
        }
    }

    // The names the archive lists, normalized as relative paths ("./a/b/" -> "a/b").
    private static async Task<HashSet<string>> ListedNamesAsync(string blob, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("tar") { ArgumentList = { "--list", "--file", blob }, RedirectStandardOutput = true, RedirectStandardError = true };
        using var tar = Process.Start(start) ?? throw new InvalidOperationException("could not start tar");
        var errors = tar.StandardError.ReadToEndAsync(CancellationToken.None);
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (await tar.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var name = line.TrimEnd('/');
                while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
                names.Add(name.TrimStart('/'));
            }
            await tar.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            tar.Kill(entireProcessTree: true);
            throw;
        }
        if (tar.ExitCode != 0) throw new InvalidDataException($"tar could not list {blob} (exit {tar.ExitCode}): {(await errors.ConfigureAwait(false)).Trim()}");
        return names;
    }
}
