using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>The libc calls .NET does not expose (ownership without following links, device nodes, xattrs, nanosecond times).</summary>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    public const uint SIfChr = 0x2000;
    public const uint SIfBlk = 0x6000;
    public const uint SIfIfo = 0x1000;
    public const uint ModeBits = 0xFFF; // 07777: permissions plus setuid, setgid, sticky
    public const uint Mode0755 = 0x1ED;
    public const int ENotEmpty = 39;
    public const int EExist = 17;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int symlink(string target, string linkPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int link(string existing, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint llistxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fsetxattr(int fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int utimensat(int dirFd, string path, Timespec* times, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int futimens(int fd, Timespec* times);

    // The same calls on raw, NUL-terminated byte paths: tar names need not be UTF-8 (see RawFs).
    public const int ENotSup = 95;
    public const int EPerm = 1;
    public const int ORdOnly = 0x0, OWrOnly = 0x1, OCreat = 0x40, OExcl = 0x80, ODirectory = 0x10000, ONoFollow = 0x20000, OCloExec = 0x80000, OPath = 0x200000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int lchown(byte* path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int chmod(byte* path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mkdir(byte* path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mknod(byte* path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int symlink(byte* target, byte* linkPath);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int link(byte* existing, byte* newPath);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unlink(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int rmdir(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int openat(int dirFd, byte* path, int flags, uint mode);

    /// <summary><c>struct open_how</c> of <c>openat2(2)</c>.</summary>
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    public const long SysOpenat2 = 437; // the same number on every architecture (added in Linux 5.6)
    public const ulong ResolveNoXdev = 0x01, ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08;
    public const int ENoSys = 38;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long openat2(long number, int dirFd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lsetxattr(byte* path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint lgetxattr(byte* path, string name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int utimensat(int dirFd, byte* path, Timespec* times, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int statx(int dirFd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint opendir(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    public static partial byte* readdir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int closedir(nint dir);

    /// <summary>glibc's <c>makedev</c> encoding of a device number.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>Throws an <see cref="IOException"/> for a failed call, naming the call, the path and the errno text.</summary>
    public static void Check(int result, string call, string path)
    {
        if (result == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"{call} '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }
}
