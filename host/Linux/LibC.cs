using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Host.Linux;

/// <summary>The few libc calls the host needs that .NET does not expose.</summary>
internal static partial class LibC
{
    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;
    public const int EINVAL = 22;
    public const int ENOENT = 2;

    /// <summary>A mode written in octal, as in chmod(1).</summary>
    public static uint Octal(string digits) => Convert.ToUInt32(digits, 8);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string? filesystemtype, ulong mountflags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string path, uint owner, uint group);
}
