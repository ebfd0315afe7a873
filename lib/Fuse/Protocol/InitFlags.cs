namespace PluggableSnapshotter.Fuse.Protocol;

/// <summary>Capability bits exchanged at INIT (FUSE_* flags in linux/fuse.h).</summary>
[Flags]
internal enum InitFlags : uint
{
    AsyncRead = 1 << 0,
    BigWrites = 1 << 5,
    NoOpenSupport = 1 << 17, // the kernel takes ENOSYS to OPEN as "no OPEN (nor RELEASE) needed from now on"
    DoReaddirplus = 1 << 13,
    ReaddirplusAuto = 1 << 14,
    ParallelDirops = 1 << 18,
    MaxPages = 1 << 22,
    CacheSymlinks = 1 << 23,
    NoOpendirSupport = 1 << 24, // the kernel takes ENOSYS to OPENDIR as "no OPENDIR (nor RELEASEDIR) needed from now on"
    InitExt = 1 << 30, // flags2 in use (fuse_init_in/out.flags2 carry bits 32-63)
}

/// <summary>Capability bits 32-63 (fuse_init_in/out.flags2, FUSE_INIT_EXT).</summary>
[Flags]
internal enum InitFlags2 : uint
{
    Passthrough = 1 << (37 - 32), // FUSE_PASSTHROUGH
    OverIoUring = 1 << (41 - 32), // FUSE_OVER_IO_URING
}

/// <summary>Flags of fuse_open_out.open_flags (FOPEN_* in linux/fuse.h).</summary>
[Flags]
internal enum OpenReplyFlags : uint
{
    KeepCache = 1 << 1,
    CacheDir = 1 << 3,
    Passthrough = 1 << 7, // FOPEN_PASSTHROUGH: backing_id names the file reads go to
}
