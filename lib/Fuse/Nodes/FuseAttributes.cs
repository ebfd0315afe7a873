namespace PluggableSnapshotter.Fuse;

/// <summary>
/// The attributes of a node, as stat(2) shows them, times to the nanosecond. A modification time left at its default
/// reads as the Unix epoch; an unset (null) access or change time reads as the modification time.
/// </summary>
public readonly record struct FuseAttributes
{
    /// <summary>File type and permission bits (st_mode), e.g. <c>FileModes.Directory | 0x1ED</c> for a 0755 directory.</summary>
    public uint Mode { get; init; }

    /// <summary>The inode number shown to users (st_ino); 0 means "use the node id", which is stable for the mount's life.</summary>
    public ulong Ino { get; init; }

    /// <summary>Size in bytes (st_size).</summary>
    public long Size { get; init; }

    /// <summary>512-byte blocks allocated (st_blocks); 0 means "computed from the size".</summary>
    public long Blocks { get; init; }

    /// <summary>Hard link count (st_nlink); 0 reads as 1.</summary>
    public uint LinkCount { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }

    /// <summary>Device number of a character or block device, encoded with <see cref="MakeDevice"/>.</summary>
    public uint Rdev { get; init; }

    /// <summary>Last modification time (st_mtim).</summary>
    public UnixTime ModificationTime { get; init; }

    /// <summary>Last access time (st_atim); null reads as <see cref="ModificationTime"/>.</summary>
    public UnixTime? AccessTime { get; init; }

    /// <summary>Last status change time (st_ctim); null reads as <see cref="ModificationTime"/>.</summary>
    public UnixTime? ChangeTime { get; init; }

    /// <summary>Encodes a device number the way the kernel decodes fuse_attr.rdev (new_encode_dev in linux/kdev_t.h).</summary>
    public static uint MakeDevice(uint major, uint minor) => (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}
