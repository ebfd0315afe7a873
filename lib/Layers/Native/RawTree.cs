using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// Removes a directory tree whatever bytes its names hold (.NET's recursive delete decodes names as UTF-8 and cannot
/// remove one that is not). Never follows symbolic links: a link is removed, not its target.
/// </summary>
internal static unsafe class RawTree
{
    private const byte DtDir = 4, DtUnknown = 0;
    private const int NameOffset = 19, TypeOffset = 18; // struct dirent64: d_ino, d_off, d_reclen, d_type, d_name

    /// <summary>Removes <paramref name="raw"/> (a <see cref="RawPath"/>) and everything under it.</summary>
    public static void Delete(string raw)
    {
        if (!IsDirectory(raw))
        {
            RawFs.Unlink(raw);
            return;
        }

        foreach (var (name, type) in Children(raw))
        {
            var child = raw + "/" + name;
            if (type == DtDir || (type == DtUnknown && IsDirectory(child))) Delete(child);
            else RawFs.Unlink(child);
        }

        RawFs.Rmdir(raw);
    }

    private static bool IsDirectory(string raw) => FileStatus.OfRaw(raw).IsDirectory;

    private static List<(string Name, byte Type)> Children(string raw)
    {
        var children = new List<(string, byte)>();
        nint dir;
        fixed (byte* p = RawPath.Native(raw)) dir = Libc.opendir(p);
        if (dir == 0) Libc.Check(-1, "opendir", RawPath.Display(raw));
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = Libc.readdir(dir);
                if (entry == null)
                {
                    if (Marshal.GetLastPInvokeError() != 0) Libc.Check(-1, "readdir", RawPath.Display(raw));
                    return children;
                }

                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + NameOffset);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                children.Add((System.Text.Encoding.Latin1.GetString(name), entry[TypeOffset]));
            }
        }
        finally
        {
            Libc.closedir(dir);
        }
    }
}
