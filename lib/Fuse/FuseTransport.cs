namespace PluggableSnapshotter.Fuse;

/// <summary>How requests travel between the kernel and the server.</summary>
public enum FuseTransport
{
    /// <summary>FUSE over io_uring when the kernel offers it at INIT (fuse.enable_uring=1), otherwise /dev/fuse.</summary>
    Auto,

    /// <summary>read(2) and write(2) on /dev/fuse, on any kernel.</summary>
    Device,

    /// <summary>FUSE over io_uring (Linux 6.14+ with fuse.enable_uring=1); mounting fails when the kernel does not offer it.</summary>
    IoUring,
}
