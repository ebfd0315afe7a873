using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>What <c>statx(2)</c> says about a path itself (links not followed). statx's layout is the same on every architecture.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, uint Links, long Size,
    uint RdevMajor, uint RdevMinor, Timespec Accessed, Timespec Modified, uint DevMajor = 0, uint DevMinor = 0)
{
    private const uint SIfMt = 0xF000;

    public uint Type => Mode & SIfMt;
    public bool IsDirectory => Type == 0x4000;
    public bool IsRegular => Type == 0x8000;
    public bool IsSymlink => Type == 0xA000;
    public uint Permissions => Mode & Libc.ModeBits;

    /// <summary>Reads the status of <paramref name="path"/> without following a final symbolic link.</summary>
    public static unsafe FileStatus Of(string path)
    {
        var buffer = stackalloc byte[256];
        Libc.Check(Libc.statx(Libc.AtFdCwd, path, Libc.AtSymlinkNoFollow, 0x7ff /* STATX_BASIC_STATS */, buffer), "statx", path);
        return Parse(buffer);
    }

    /// <summary>The status of the file open as <paramref name="descriptor"/> (<c>AT_EMPTY_PATH</c>).</summary>
    public static unsafe FileStatus OfDescriptor(int descriptor)
    {
        var buffer = stackalloc byte[256];
        Libc.Check(Libc.statx(descriptor, "", Libc.AtEmptyPath, 0x7ff /* STATX_BASIC_STATS */, buffer), "statx", $"descriptor {descriptor}");
        return Parse(buffer);
    }

    /// <summary>The same for a raw path (<see cref="RawPath"/>), whose bytes need not be UTF-8.</summary>
    internal static unsafe FileStatus OfRaw(string raw)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = RawPath.Native(raw))
        {
            Libc.Check(Libc.statx(Libc.AtFdCwd, p, Libc.AtSymlinkNoFollow, 0x7ff /* STATX_BASIC_STATS */, buffer), "statx", RawPath.Display(raw));
        }

        return Parse(buffer);
    }

    private static unsafe FileStatus Parse(byte* buffer)
    {
        var span = new ReadOnlySpan<byte>(buffer, 256);
        return new FileStatus(
            Mode: MemoryMarshal.Read<ushort>(span[28..]),
            Uid: MemoryMarshal.Read<uint>(span[20..]),
            Gid: MemoryMarshal.Read<uint>(span[24..]),
            Inode: MemoryMarshal.Read<ulong>(span[32..]),
            Links: MemoryMarshal.Read<uint>(span[16..]),
            Size: MemoryMarshal.Read<long>(span[40..]),
            RdevMajor: MemoryMarshal.Read<uint>(span[128..]),
            RdevMinor: MemoryMarshal.Read<uint>(span[132..]),
            Accessed: Timestamp(span[64..]),
            Modified: Timestamp(span[112..]),
            DevMajor: MemoryMarshal.Read<uint>(span[136..]),
            DevMinor: MemoryMarshal.Read<uint>(span[140..]));
    }

    // struct statx_timestamp: tv_sec (s64), tv_nsec (u32), reserved.
    private static Timespec Timestamp(ReadOnlySpan<byte> span) => new(MemoryMarshal.Read<long>(span), MemoryMarshal.Read<uint>(span[8..]));
}
