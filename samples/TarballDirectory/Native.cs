using System.Runtime.InteropServices;

namespace TarballDirectory;

/// <summary>The few Linux calls .NET does not offer: rename onto an empty directory, mknod, lsetxattr, lchown, owner lookup.</summary>
internal static partial class Native
{
    private const uint CharacterDevice = 0x2000; // S_IFCHR

    public static void ReplaceEmptyDirectory(string source, string emptyTarget) =>
        Check(rename(source, emptyTarget), $"rename {source} onto {emptyTarget}");

    public static void MakeWhiteout(string path, uint uid, uint gid)
    {
        Check(mknod(path, CharacterDevice, 0), $"mknod {path}");
        Chown(path, uid, gid);
    }

    public static unsafe void SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value) Check(lsetxattr(path, name, v, (nuint)value.Length, 0), $"lsetxattr {name} {path}");
    }

    public static void Chown(string path, uint uid, uint gid) => Check(lchown(path, uid, gid), $"lchown {path}");

    public static unsafe (uint Uid, uint Gid) Owner(string path)
    {
        // struct statx: uid at 20, gid at 24 (linux/stat.h); AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_UID|STATX_GID.
        var buffer = stackalloc byte[256];
        Check(statx(-100, path, 0x100, 0x18, buffer), $"statx {path}");
        return (*(uint*)(buffer + 20), *(uint*)(buffer + 24));
    }

    private static void Check(int result, string what)
    {
        if (result != 0) throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong device);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int directoryFd, string path, int flags, uint mask, byte* buffer);
}
