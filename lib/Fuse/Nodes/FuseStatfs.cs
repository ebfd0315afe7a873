namespace PluggableSnapshotter.Fuse;

/// <summary>File system statistics (statfs(2)); a read-only tree usually reports no free space.</summary>
public readonly record struct FuseStatfs
{
    /// <summary>Total blocks of <see cref="BlockSize"/> bytes.</summary>
    public ulong Blocks { get; init; }

    /// <summary>Free blocks.</summary>
    public ulong FreeBlocks { get; init; }

    /// <summary>Free blocks available to unprivileged users.</summary>
    public ulong AvailableBlocks { get; init; }

    /// <summary>Total inodes.</summary>
    public ulong Files { get; init; }

    /// <summary>Free inodes.</summary>
    public ulong FreeFiles { get; init; }

    /// <summary>Block size in bytes; 0 reads as 4096.</summary>
    public uint BlockSize { get; init; }

    /// <summary>Longest file name; 0 reads as 255.</summary>
    public uint MaxNameLength { get; init; }
}
