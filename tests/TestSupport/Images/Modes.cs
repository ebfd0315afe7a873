namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>Common permission sets for layer entries.</summary>
public static class Modes
{
    /// <summary>rwxr-xr-x</summary>
    public const UnixFileMode Directory = (UnixFileMode)0b111_101_101;

    /// <summary>rw-r--r--</summary>
    public const UnixFileMode File = (UnixFileMode)0b110_100_100;

    /// <summary>rwxr-xr-x</summary>
    public const UnixFileMode Executable = (UnixFileMode)0b111_101_101;

    /// <summary>rwxrwxrwx, what symlinks report.</summary>
    public const UnixFileMode Symlink = (UnixFileMode)0b111_111_111;

    /// <summary>rw-rw-rw-</summary>
    public const UnixFileMode Device = (UnixFileMode)0b110_110_110;

    /// <summary>rwxrwxrwt, as /tmp has it.</summary>
    public const UnixFileMode StickyWorldWritable = (UnixFileMode)0b1_111_111_111;
}
