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
                    _kinds[relative] = Kind.Directory;
                    break;
                case Kind.Symlink:
                    throw new InvalidDataException($"layer entry '{entryName}' would be written through the symbolic link '{relative}', which could lead outside the layer directory");
                default:
                    throw new InvalidDataException($"layer entry '{entryName}' needs '{relative}' to be a directory, but the layer made it something else");
            }
        }
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
