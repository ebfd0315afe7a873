using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// Extended attributes on paths (not following links) and on open files. A file system without them (EOPNOTSUPP: one
/// built without xattr support, or a FUSE server that switched them off) lists none, as containerd's copy of a lower
/// directory's attributes takes it.
/// </summary>
public static unsafe class Xattrs
{
    private const int ENotSup = 95; // EOPNOTSUPP on Linux

    /// <summary>Sets <paramref name="name"/> on <paramref name="path"/> itself (a link's own attribute, not its target's).</summary>
    public static void SetNoFollow(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            Libc.Check(Libc.lsetxattr(path, name, p, (nuint)value.Length, 0), $"lsetxattr {name} on", path);
        }
    }

    /// <summary>The names of the attributes of <paramref name="path"/> itself.</summary>
    public static IReadOnlyList<string> List(string path)
    {
        var size = Libc.llistxattr(path, null, 0);
        if (size < 0 && Unsupported()) return [];
        if (size < 0) Libc.Check(-1, "llistxattr", path);
        if (size == 0) return [];
        var buffer = new byte[size];
        fixed (byte* p = buffer)
        {
            size = Libc.llistxattr(path, p, (nuint)buffer.Length);
            if (size < 0) Libc.Check(-1, "llistxattr", path);
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The value of attribute <paramref name="name"/> of <paramref name="path"/> itself, or null when it has none.</summary>
    public static byte[]? Get(string path, string name)
    {
        var size = Libc.lgetxattr(path, name, null, 0);
        if (size < 0) return null;
        var buffer = new byte[size];
        fixed (byte* p = buffer)
        {
            size = Libc.lgetxattr(path, name, p, (nuint)buffer.Length);
            if (size < 0) return null;
        }

        return buffer.AsSpan(0, (int)size).ToArray();
    }

    /// <summary>The attribute names of a raw path (<see cref="RawPath"/>) itself.</summary>
    internal static IReadOnlyList<string> ListRaw(string raw)
    {
        fixed (byte* p = RawPath.Native(raw))
        {
            var size = Libc.llistxattr(p, null, 0);
            if (size < 0 && Unsupported()) return [];
            if (size < 0) Libc.Check(-1, "llistxattr", RawPath.Display(raw));
            if (size == 0) return [];
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                size = Libc.llistxattr(p, b, (nuint)buffer.Length);
                if (size < 0) Libc.Check(-1, "llistxattr", RawPath.Display(raw));
            }

            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>The value of an attribute of a raw path itself, or null when it has none.</summary>
    internal static byte[]? GetRaw(string raw, string name)
    {
        fixed (byte* p = RawPath.Native(raw))
        {
            var size = Libc.lgetxattr(p, name, null, 0);
            if (size < 0) return null;
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                size = Libc.lgetxattr(p, name, b, (nuint)buffer.Length);
                if (size < 0) return null;
            }

            return buffer.AsSpan(0, (int)size).ToArray();
        }
    }

    private static bool Unsupported() => Marshal.GetLastPInvokeError() == ENotSup;
}
