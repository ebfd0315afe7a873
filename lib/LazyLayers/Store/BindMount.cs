using System.Runtime.InteropServices;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// Read-only bind mounts of local layers over their FUSE mounts (mount(2), umount(2)). A bind stacked on the FUSE mount
/// point is what every later lookup of that path sees, so containers started afterwards get the local files as their
/// lower layer; overlays mounted before keep the FUSE mount they resolved.
/// </summary>
public static partial class BindMount
{
    private const ulong MsReadOnly = 1, MsRemount = 32, MsBind = 4096;
    private const int MntDetach = 2, AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>Binds <paramref name="source"/> read-only onto <paramref name="target"/>.</summary>
    /// <exception cref="IOException">mount(2) failed.</exception>
    public static void MountReadOnly(string source, string target)
    {
        Check(mount(source, target, null, MsBind, 0), "bind", source, target);
        if (mount(source, target, null, MsBind | MsRemount | MsReadOnly, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            umount2(target, MntDetach);
            throw new IOException($"making the bind of {source} on {target} read-only failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>
    /// Whether what <paramref name="target"/> shows is <paramref name="source"/> itself (same device and inode): its bind
    /// is on top already, e.g. left by an earlier run whose FUSE connection was kept alive.
    /// </summary>
    public static unsafe bool IsBound(string source, string target)
    {
        var a = stackalloc byte[256];
        var b = stackalloc byte[256];
        if (statx(AtFdCwd, source, 0, StatxBasicStats, a) != 0 || statx(AtFdCwd, target, 0, StatxBasicStats, b) != 0) return false;
        // struct statx: stx_ino at 32, stx_dev_major at 136, stx_dev_minor at 140 (the same layout on every architecture).
        return *(ulong*)(a + 32) == *(ulong*)(b + 32) && *(uint*)(a + 136) == *(uint*)(b + 136) && *(uint*)(a + 140) == *(uint*)(b + 140);
    }

    /// <summary>Detaches the top-most mount at <paramref name="target"/>.</summary>
    public static void Unmount(string target) => Check(umount2(target, MntDetach), "unmount", target, target);

    private static void Check(int result, string what, string source, string target)
    {
        if (result == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"{what} of {source} on {target} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string? fileSystemType, ulong flags, nint data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
}
