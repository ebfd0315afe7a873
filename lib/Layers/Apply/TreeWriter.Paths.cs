using System.Runtime.InteropServices;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers.Apply;

internal sealed partial class TreeWriter
{
    private enum Kind { Missing, Directory, Symlink, Other }

    /// <summary>
    /// Makes sure every component of <paramref name="parts"/> is a real directory, creating missing ones (0755, as
    /// containerd does); a component that is a symbolic link or a file is an error naming the entry.
    /// </summary>
    private void EnsureDirectory(string[] parts, string entryName)
    {
        var relative = "";
        for (var i = 0; i < parts.Length; i++)
        {
            relative = relative.Length == 0 ? parts[i] : relative + "/" + parts[i];
            var path = Full(relative);
            switch (Probe(relative))
            {
                case Kind.Directory:
                    continue;
                case Kind.Missing:
                    Libc.Check(Libc.mkdir(path, Libc.Mode0755), "mkdir", path);
                    Libc.Check(Libc.chmod(path, Libc.Mode0755), "chmod", path);
                    CopyFromLowerLayer(relative, path);
                    _kinds[relative] = Kind.Directory;
                    break;
                case Kind.Symlink:
                    throw new InvalidDataException($"layer entry '{entryName}' would be written through the symbolic link '{relative}', which could lead outside the layer directory");
                default:
                    throw new InvalidDataException($"layer entry '{entryName}' needs '{relative}' to be a directory, but the layer made it something else");
            }
        }
    }

    // containerd's mkparent: an implicit directory looks like the same directory in the first lower layer that has one.
    private void CopyFromLowerLayer(string relative, string path)
    {
        foreach (var parent in parents)
        {
            var lower = LowerDirectory(parent, relative);
            if (lower is null) continue;
            if (lower.Value.Status is not { IsDirectory: true } status) return; // replaced by a non-directory: keep the defaults
            Libc.Check(Libc.lchown(path, status.Uid, status.Gid), "lchown", path);
            Libc.Check(Libc.chmod(path, status.Permissions), "chmod", path);
            foreach (var name in Xattrs.List(lower.Value.Path).Where(n => !n.StartsWith("trusted.", StringComparison.Ordinal)))
            {
                if (Xattrs.Get(lower.Value.Path, name) is { } value) Xattrs.SetNoFollow(path, name, value);
            }

            _directoryTimes.Add((path, status.Accessed, status.Modified));
            return;
        }
    }

    // The lower layer's entry at relative, looked up component by component without following links (a link in the
    // lower layer counts as "not a directory", so nothing outside that layer is ever consulted). Null when absent.
    private static (string Path, FileStatus? Status)? LowerDirectory(string parent, string relative)
    {
        var path = parent;
        var parts = relative.Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            path = Path.Combine(path, parts[i]);
            FileStatus status;
            try
            {
                status = FileStatus.Of(path);
            }
            catch (IOException ex) when (ex.HResult is 2 or 20) // ENOENT, ENOTDIR
            {
                return null;
            }

            if (!status.IsDirectory) return (path, null);
            if (i == parts.Length - 1) return (path, status);
        }

        return null;
    }

    private void CheckNoLinkInParents(string[] parts, string entryName)
    {
        var relative = "";
        foreach (var part in parts)
        {
            relative = relative.Length == 0 ? part : relative + "/" + part;
            if (Probe(relative) == Kind.Symlink)
                throw new InvalidDataException($"layer entry '{entryName}' is a hard link through the symbolic link '{relative}', which could lead outside the layer directory");
        }
    }

    private void Remove(string relative, Kind kind)
    {
        var path = Full(relative);
        if (kind == Kind.Directory)
        {
            Directory.Delete(path, recursive: true);
            var prefix = relative + "/";
            foreach (var key in _kinds.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _kinds.Remove(key);
        }
        else
        {
            File.Delete(path);
        }

        _kinds.Remove(relative);
    }

    private Kind Probe(string relative) => _kinds.TryGetValue(relative, out var kind) ? kind : Kind.Missing;
}
