using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers;

/// <summary>
/// A regular file the applier wrote and closed: where its data lies in the uncompressed tar, and which file it is (the
/// raw path it was created at, byte for byte, and its device and inode). Its bytes never change after.
/// </summary>
public sealed record AppliedFile(string RawPath, long DataOffset, long Size, ulong Inode, uint DevMajor, uint DevMinor)
{
    /// <summary>
    /// Opens the file for reading if its path still names this very file, else null. The path is first opened as a path
    /// only (<c>O_PATH | O_NOFOLLOW</c>: no device is opened, no FIFO waited on, no final symlink followed), checked to be a
    /// regular file with this device and inode, and only then reopened for reading through <c>/proc/self/fd</c>.
    /// </summary>
    public unsafe SafeFileHandle? OpenForRead()
    {
        int located;
        fixed (byte* path = Native.RawPath.Native(RawPath))
        {
            located = Libc.open(path, Libc.OPath | Libc.ONoFollow | Libc.OCloExec, 0);
        }
        if (located < 0) return null; // gone: the staging directory was renamed or removed
        return ConfinedOpen.ReopenForRead(located, status => status.Inode == Inode && status.DevMajor == DevMajor && status.DevMinor == DevMinor);
    }
}
