namespace PluggableSnapshotter.Fuse;

/// <summary>File type bits of st_mode (S_IF* in sys/stat.h).</summary>
public static class FileModes
{
    /// <summary>Mask of the type bits (S_IFMT).</summary>
    public const uint TypeMask = 0xF000;

    /// <summary>Named pipe (S_IFIFO).</summary>
    public const uint Fifo = 0x1000;

    /// <summary>Character device (S_IFCHR); a 0:0 character device is an overlayfs whiteout.</summary>
    public const uint CharacterDevice = 0x2000;

    /// <summary>Directory (S_IFDIR).</summary>
    public const uint Directory = 0x4000;

    /// <summary>Block device (S_IFBLK).</summary>
    public const uint BlockDevice = 0x6000;

    /// <summary>Regular file (S_IFREG).</summary>
    public const uint RegularFile = 0x8000;

    /// <summary>Symbolic link (S_IFLNK).</summary>
    public const uint Symlink = 0xA000;

    /// <summary>Socket (S_IFSOCK).</summary>
    public const uint Socket = 0xC000;
}
