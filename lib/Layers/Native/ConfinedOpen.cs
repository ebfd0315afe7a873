using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// Opens, for reading, regular files of a tree a layer wrote, without following anything the layer could have planted
/// there: no symbolic link on the way (nor out of the tree), no device opened, no FIFO waited on. A name is first opened
/// as a path only (<c>O_PATH</c>), checked to be a regular file, and only then reopened for reading through
/// <c>/proc/self/fd</c>.
/// </summary>
public static unsafe class ConfinedOpen
{
    /// <summary>
    /// The regular file at <paramref name="relative"/> (UTF-8) beneath <paramref name="root"/>, resolved with
    /// <c>openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)</c> (before Linux 5.6: only the last name is
    /// not followed), if <paramref name="accept"/> accepts its status; else null.
    /// </summary>
    public static SafeFileHandle? RegularFileBeneath(string root, string relative, Func<FileStatus, bool> accept)
    {
        int directory;
        fixed (byte* rootPath = Encoding.UTF8.GetBytes(root + "\0"))
        {
            directory = Libc.open(rootPath, Libc.OPath | Libc.ODirectory | Libc.OCloExec, 0);
        }
        if (directory < 0) return null;
        try
        {
            int located;
            fixed (byte* path = Encoding.UTF8.GetBytes(relative + "\0"))
            {
                var how = new Libc.OpenHow
                {
                    Flags = (ulong)(Libc.OPath | Libc.ONoFollow | Libc.OCloExec),
                    Resolve = Libc.ResolveBeneath | Libc.ResolveNoSymlinks | Libc.ResolveNoXdev,
                };
                located = (int)Libc.openat2(Libc.SysOpenat2, directory, path, &how, (nuint)sizeof(Libc.OpenHow));
                if (located < 0 && Marshal.GetLastPInvokeError() == Libc.ENoSys)
                    located = Libc.openat(directory, path, Libc.OPath | Libc.ONoFollow | Libc.OCloExec, 0);
            }
            return located < 0 ? null : ReopenForRead(located, accept);
        }
        finally
        {
            Libc.close(directory);
        }
    }

    /// <summary>
    /// Reopens for reading the file the <c>O_PATH</c> descriptor <paramref name="located"/> holds, if it is a regular file
    /// that <paramref name="accept"/> accepts; closes <paramref name="located"/> either way.
    /// </summary>
    public static SafeFileHandle? ReopenForRead(int located, Func<FileStatus, bool> accept)
    {
        try
        {
            var status = FileStatus.OfDescriptor(located);
            if (!status.IsRegular || !accept(status)) return null;
            return File.OpenHandle($"/proc/self/fd/{located}", FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            Libc.close(located);
        }
    }
}
