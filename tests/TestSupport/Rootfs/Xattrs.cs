using System.Runtime.InteropServices;
using System.Text;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Rootfs;

/// <summary>Extended attributes of a path, not following symlinks (listxattr(2), getxattr(2)).</summary>
public static class Xattrs
{
    private const int ENODATA = 61;
    private const int ENOTSUP = 95;

    /// <summary>The attribute names; empty where the filesystem has none or does not support them.</summary>
    public static IReadOnlyList<string> List(string path)
    {
        var buffer = Read(size => LibC.LListXattr(path, size, (nuint)size.Length), path, "llistxattr");
        // The list is NUL-terminated names back to back.
        return Encoding.UTF8.GetString(buffer).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The value of one attribute.</summary>
    public static byte[] Get(string path, string name) =>
        Read(value => LibC.LGetXattr(path, name, value, (nuint)value.Length), path, "lgetxattr " + name);

    // Ask for the size, then read; retry if the attribute grew in between (ERANGE).
    private static byte[] Read(Func<Span<byte>, nint> call, string path, string what)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var size = call(Span<byte>.Empty);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENODATA or ENOTSUP)
                {
                    return [];
                }
                throw new IOException($"{what} {path}: errno {errno}");
            }
            var buffer = new byte[size];
            var read = call(buffer);
            if (read >= 0)
            {
                return buffer[..(int)read];
            }
        }
        throw new IOException($"{what} {path}: value keeps changing size");
    }
}
