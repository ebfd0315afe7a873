using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Plugins.Soci.Store;

/// <summary>
/// Read-only bind mounts of local layers over their FUSE mounts (mount(2), umount(2)). A bind stacked on the FUSE mount
/// point is what every later lookup of that path sees, so containers started afterwards get the local files as their
/// lower layer; overlays mounted before keep the FUSE mount they resolved.
/// </summary>
internal static partial class BindMount
{
    private const ulong MsReadOnly = 1, MsRemount = 32, MsBind = 4096;
    private const int MntDetach = 2;

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
}
