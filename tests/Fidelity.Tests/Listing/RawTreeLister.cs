using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Fidelity.Tests.Listing;

/// <summary>
/// Prints a tree (not following symlinks) as one canonical line per entry, sorted: raw name, type, permission bits with
/// setuid/setgid/sticky, owner, nanosecond mtime, link count, size and SHA-256 of files, link target, device numbers, and
/// every xattr with its exact bytes (lgetxattr; none hidden). Two trees are the same to a container when their listings are.
/// Directory sizes and link counts are left out: they describe the file system (overlayfs, FUSE, tmpfs), not the layer.
/// </summary>
public static unsafe class RawTreeLister
{
    /// <summary>The listing of <paramref name="root"/>, the root itself as ".".</summary>
    public static IReadOnlyList<string> List(string root)
    {
        var lines = new List<string>();
        Walk(RawPath.Of(root), ".", lines);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static void Walk(RawPath path, string shown, List<string> lines)
    {
        var (line, isDirectory) = Describe(path, shown);
        lines.Add(line);
        if (!isDirectory) return;
        foreach (var name in Children(path))
        {
            Walk(path.Child(name), shown == "." ? RawPath.Escape(name) : shown + "/" + RawPath.Escape(name), lines);
        }
    }

    private static List<byte[]> Children(RawPath path)
    {
        var names = new List<byte[]>();
        fixed (byte* p = path.Terminated())
        {
            var directory = TreeLibc.opendir(p);
            if (directory == 0) throw Failure("opendir", path);
            try
            {
                while (TreeLibc.readdir(directory) is var entry && entry != 0)
                {
                    // glibc's struct dirent on 64-bit Linux: d_ino 8, d_off 8, d_reclen 2, d_type 1, then d_name.
                    var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                    if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                    names.Add(name.ToArray());
                }
            }
            finally
            {
                TreeLibc.closedir(directory);
            }
        }
        return names;
    }

    private static (string Line, bool IsDirectory) Describe(RawPath path, string shown)
    {
        Span<byte> stat = stackalloc byte[256];
        fixed (byte* p = path.Terminated())
        fixed (byte* s = stat)
        {
            if (TreeLibc.statx(TreeLibc.AtFdCwd, p, TreeLibc.AtSymlinkNoFollow, TreeLibc.StatxBasicStats, s) != 0) throw Failure("statx", path);
        }
        // struct statx (linux/stat.h): nlink @16, uid @20, gid @24, mode @28 (u16), size @40, mtime @112 (s64 sec, u32 nsec),
        // rdev_major @128, rdev_minor @132.
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(stat[28..]);
        var type = (mode & 0xF000) switch
        {
            0x8000 => "file",
            0x4000 => "dir",
            0xA000 => "symlink",
            0x2000 => "char",
            0x6000 => "block",
            0x1000 => "fifo",
            0xC000 => "socket",
            var other => $"unknown-{other:x}",
        };
        var line = new System.Text.StringBuilder(shown);
        line.Append(CultureInfo.InvariantCulture, $" {type} mode={Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0')}");
        line.Append(CultureInfo.InvariantCulture, $" owner={BinaryPrimitives.ReadUInt32LittleEndian(stat[20..])}:{BinaryPrimitives.ReadUInt32LittleEndian(stat[24..])}");
        line.Append(CultureInfo.InvariantCulture, $" mtime={BinaryPrimitives.ReadInt64LittleEndian(stat[112..])}.{BinaryPrimitives.ReadUInt32LittleEndian(stat[120..]):D9}");
        if (type != "dir") line.Append(CultureInfo.InvariantCulture, $" nlink={BinaryPrimitives.ReadUInt32LittleEndian(stat[16..])}");
        if (type == "file") line.Append(CultureInfo.InvariantCulture, $" size={BinaryPrimitives.ReadUInt64LittleEndian(stat[40..])} sha256={Hash(path)}");
        if (type == "symlink") line.Append(" target=").Append(RawPath.Escape(LinkTarget(path)));
        if (type is "char" or "block") line.Append(CultureInfo.InvariantCulture, $" dev={BinaryPrimitives.ReadUInt32LittleEndian(stat[128..])},{BinaryPrimitives.ReadUInt32LittleEndian(stat[132..])}");
        foreach (var (name, value) in Xattrs(path)) line.Append(" xattr:").Append(RawPath.Escape(name)).Append('=').Append(Convert.ToHexStringLower(value));
        return (line.ToString(), type == "dir");
    }

    private static string Hash(RawPath path)
    {
        int fd;
        fixed (byte* p = path.Terminated()) fd = TreeLibc.open(p, TreeLibc.ONoFollow); // O_RDONLY
        if (fd < 0) throw Failure("open", path);
        using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static byte[] LinkTarget(RawPath path)
    {
        var buffer = new byte[4096 + 1];
        nint length;
        fixed (byte* p = path.Terminated())
        fixed (byte* b = buffer)
        {
            length = TreeLibc.readlink(p, b, (nuint)buffer.Length);
        }
        if (length < 0) throw Failure("readlink", path);
        return buffer[..(int)length];
    }

    private static List<(byte[] Name, byte[] Value)> Xattrs(RawPath path)
    {
        var terminated = path.Terminated();
        var list = ReadSized((b, n) => { fixed (byte* p = terminated) return TreeLibc.llistxattr(p, b, n); }, "llistxattr", path);
        var result = new List<(byte[], byte[])>();
        foreach (var name in SplitNames(list))
        {
            byte[] nameZ = [.. name, 0];
            var value = ReadSized((b, n) => { fixed (byte* p = terminated) fixed (byte* k = nameZ) return TreeLibc.lgetxattr(p, k, b, n); }, "lgetxattr", path);
            result.Add((name, value));
        }
        result.Sort((a, b) => a.Item1.AsSpan().SequenceCompareTo(b.Item1));
        return result;
    }

    private static IEnumerable<byte[]> SplitNames(byte[] list)
    {
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] != 0) continue;
            if (i > start) yield return list[start..i];
            start = i + 1;
        }
    }

    private delegate nint SizedCall(byte* buffer, nuint size);

    // Ask for the size, then read; a value that grew in between (ERANGE) is asked for again. No attribute support at all
    // (ENOTSUP) or a value gone in between (ENODATA) reads as empty.
    private static byte[] ReadSized(SizedCall call, string what, RawPath path)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var size = call(null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is TreeLibc.ENoData or TreeLibc.ENotSup) return [];
                throw Failure(what, path);
            }
            var buffer = new byte[size];
            nint read;
            fixed (byte* b = buffer) read = call(b, (nuint)buffer.Length);
            if (read >= 0) return buffer[..(int)read];
        }
        throw new IOException($"{what} {RawPath.Escape(path.Bytes)}: the value keeps changing size");
    }

    private static IOException Failure(string call, RawPath path) =>
        new($"{call} {RawPath.Escape(path.Bytes)}: errno {Marshal.GetLastPInvokeError()}");
}
