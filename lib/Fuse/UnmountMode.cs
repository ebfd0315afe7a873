namespace PluggableSnapshotter.Fuse;

/// <summary>How a FUSE mount is taken down (umount2(2) flags).</summary>
public enum UnmountMode
{
    /// <summary>Plain unmount; fails with EBUSY while files are open.</summary>
    Normal,

    /// <summary>MNT_DETACH: the mount disappears now, open files keep being served until closed.</summary>
    Lazy,

    /// <summary>MNT_FORCE | MNT_DETACH: aborts the connection (open files fail) and detaches.</summary>
    Force,
}
