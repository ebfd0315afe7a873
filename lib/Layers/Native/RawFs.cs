using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// File system calls on raw paths (<see cref="RawPath"/>): what the tree writer needs to create any name a tar archive
/// holds, UTF-8 or not. Failures throw <see cref="IOException"/> naming the call and the path.
/// </summary>
internal static unsafe class RawFs
{
    public static void Mkdir(string path, uint mode)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.mkdir(p, mode), "mkdir", path);
    }

    public static void Chmod(string path, uint mode)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.chmod(p, mode), "chmod", path);
    }

    public static void Lchown(string path, uint uid, uint gid)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.lchown(p, uid, gid), "lchown", path);
    }

    public static void Mknod(string path, uint mode, ulong device)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.mknod(p, mode, device), "mknod", path);
    }

    public static void Unlink(string path)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.unlink(p), "unlink", path);
    }

    public static void Rmdir(string path)
    {
        fixed (byte* p = RawPath.Native(path)) Check(Libc.rmdir(p), "rmdir", path);
    }

    public static void Symlink(string target, string path)
    {
        fixed (byte* t = RawPath.Native(target))
        fixed (byte* p = RawPath.Native(path))
        {
            Check(Libc.symlink(t, p), "symlink", path);
        }
    }

    public static void Link(string existing, string path)
    {
        fixed (byte* e = RawPath.Native(existing))
        fixed (byte* p = RawPath.Native(path))
        {
            Check(Libc.link(e, p), "link", path);
        }
    }

    /// <summary>Creates a new file for writing (never through a final symbolic link) and returns its descriptor.</summary>
    public static int CreateFile(string path)
    {
        fixed (byte* p = RawPath.Native(path))
        {
            int fd = Libc.open(p, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec, 0x180 /* 0600 */);
            if (fd < 0) Libc.Check(-1, "open", RawPath.Display(path));
            return fd;
        }
    }

    /// <summary>Sets an xattr on the path itself (not following a symlink); 0, or the errno it failed with.</summary>
    public static int SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = RawPath.Native(path))
        fixed (byte* v = value)
        {
            return Libc.lsetxattr(p, name, v, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Sets an xattr on an open file; 0, or the errno it failed with.</summary>
    public static int SetXattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
        {
            return Libc.fsetxattr(fd, name, v, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public static void SetTimesNoFollow(string path, Timespec accessed, Timespec modified)
    {
        var times = stackalloc Timespec[2];
        times[0] = accessed;
        times[1] = modified;
        fixed (byte* p = RawPath.Native(path)) Check(Libc.utimensat(Libc.AtFdCwd, p, times, Libc.AtSymlinkNoFollow), "utimensat", path);
    }

    public static void SetTimes(int fd, string path, Timespec accessed, Timespec modified)
    {
        var times = stackalloc Timespec[2];
        times[0] = accessed;
        times[1] = modified;
        Libc.Check(Libc.futimens(fd, times), "futimens", RawPath.Display(path));
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public static void WriteAt(int fd, string path, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* d = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Libc.pwrite(fd, d + done, (nuint)(data.Length - done), offset + done);
                if (n < 0) Libc.Check(-1, "pwrite", RawPath.Display(path));
                done += (int)n;
            }
        }
    }

    public static void Truncate(int fd, string path, long length) => Libc.Check(Libc.ftruncate(fd, length), "ftruncate", RawPath.Display(path));

    private static void Check(int result, string call, string path)
    {
        if (result != 0) Libc.Check(result, call, RawPath.Display(path));
    }
}
