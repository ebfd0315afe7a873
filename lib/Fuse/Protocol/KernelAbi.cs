using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Fuse.Protocol;

// Mirrors of the linux/fuse.h structures this server reads or writes (protocol 7.23 and later;
// layouts are fixed by the kernel ABI, little-endian, 64-bit aligned). Grouped in one file
// because they are one specification.

[StructLayout(LayoutKind.Sequential)]
internal struct InHeader
{
    public const int Size = 40;
    public uint Length;
    public FuseOpcode Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtensionLength;
    public ushort Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct OutHeader
{
    public const int Size = 16;
    public uint Length;
    public int Error;
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
internal struct InitIn
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct InitOut
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGranularity;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
    public fixed ushort Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
internal struct Attr
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public uint Rdev;
    public uint BlockSize;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct EntryOut
{
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public Attr Attr;
}

[StructLayout(LayoutKind.Sequential)]
internal struct AttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public Attr Attr;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ForgetIn
{
    public ulong Nlookup;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ForgetOne
{
    public ulong NodeId;
    public ulong Nlookup;
}

[StructLayout(LayoutKind.Sequential)]
internal struct BatchForgetIn
{
    public uint Count;
    public uint Dummy;
}

[StructLayout(LayoutKind.Sequential)]
internal struct OpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct OpenOut
{
    public ulong FileHandle;
    public uint OpenFlags;
    public int BackingId; // with FOPEN_PASSTHROUGH (7.40)
}

/// <summary>struct fuse_backing_map, the argument of FUSE_DEV_IOC_BACKING_OPEN.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BackingMap
{
    public int Fd;
    public uint Flags;
    public ulong Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ReadIn
{
    public ulong FileHandle;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ReleaseIn
{
    public ulong FileHandle;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StatfsOut
{
    public ulong Blocks;
    public ulong FreeBlocks;
    public ulong AvailableBlocks;
    public ulong Files;
    public ulong FreeFiles;
    public uint BlockSize;
    public uint NameLength;
    public uint FragmentSize;
    public uint Padding;
    public fixed uint Spare[6];
}

[StructLayout(LayoutKind.Sequential)]
internal struct GetxattrIn
{
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct GetxattrOut
{
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct AccessIn
{
    public uint Mask;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct InterruptIn
{
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
internal struct Dirent
{
    public const int NameOffset = 24;
    public ulong Ino;
    public ulong Offset;
    public uint NameLength;
    public uint Type;
}
