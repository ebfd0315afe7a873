using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Fuse.Interop;

/// <summary>The few libc calls the FUSE transport needs (see mount(2), umount(2), read(2), write(2), statfs(2)).</summary>
internal static unsafe partial class Libc
{
    public const int MS_RDONLY = 1;
    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;

    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(SafeHandle fd, IoVector* vectors, int count);

    /// <summary>struct iovec.</summary>
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    // _IOW(229, 1, struct fuse_backing_map) and _IOW(229, 2, uint32_t) of linux/fuse.h.
    public const uint FuseDevIocBackingOpen = 0x4010E501;
    public const uint FuseDevIocBackingClose = 0x4004E502;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>The path with every symbolic link and <c>.</c>/<c>..</c> resolved (realpath(3)), as the mount table names mount points; null when it cannot be resolved (e.g. it does not exist).</summary>
    public static string? RealPath(string path)
    {
        var resolved = RealPathNative(path, 0);
        if (resolved == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statfs(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    /// <summary>The errno of the last failed P/Invoke on this thread.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>A readable name for an errno value, e.g. "Device or resource busy".</summary>
    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    /// <summary>True when statfs(2) on the path fails with ENOTCONN: a FUSE mount whose server is gone.</summary>
    public static bool IsDisconnected(string path)
    {
        // statfs always reaches the FUSE server (no attribute cache on this path), unlike stat(2).
        byte* buffer = stackalloc byte[256];
        return Statfs(path, buffer) != 0 && LastErrno == (int)Errno.ENOTCONN;
    }
}
