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
                    RawFs.Mkdir(path, Libc.Mode0755);
                    RawFs.Chmod(path, Libc.Mode0755);
                    CopyFromLowerLayer(relative, path);
                    _kinds[relative] = Kind.Directory;
                    break;
                case Kind.Symlink:
                    throw new InvalidDataException($"layer entry '{entryName}' would be written through the symbolic link '{RawPath.Display(relative)}', which could lead outside the layer directory");
                default:
                    throw new InvalidDataException($"layer entry '{entryName}' needs '{RawPath.Display(relative)}' to be a directory, but the layer made it something else");
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
            RawFs.Lchown(path, status.Uid, status.Gid);
            RawFs.Chmod(path, status.Permissions);
            foreach (var name in Xattrs.ListRaw(lower.Value.Path).Where(n => !n.StartsWith("trusted.", StringComparison.Ordinal)))
            {
                if (Xattrs.GetRaw(lower.Value.Path, name) is { } value && RawFs.SetXattr(path, name, value) != 0) _ignoredXattrs.Add(name);
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
            path = path + "/" + parts[i];
            FileStatus status;
            try
            {
                status = FileStatus.OfRaw(path);
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
                throw new InvalidDataException($"layer entry '{entryName}' is a hard link through the symbolic link '{RawPath.Display(relative)}', which could lead outside the layer directory");
        }
    }

    private void Remove(string relative, Kind kind)
    {
        applied?.EntryReplaced(); // before the file goes: a reader that finds it after this check reads nothing of it
        var path = Full(relative);
        if (kind == Kind.Directory)
        {
            RawTree.Delete(path);
            var prefix = relative + "/";
            foreach (var key in _kinds.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _kinds.Remove(key);
        }
        else
        {
            RawFs.Unlink(path);
        }

        _kinds.Remove(relative);
    }

    private Kind Probe(string relative) => _kinds.TryGetValue(relative, out var kind) ? kind : Kind.Missing;
}
