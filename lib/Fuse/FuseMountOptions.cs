namespace PluggableSnapshotter.Fuse;

/// <summary>How a tree is mounted and how long the kernel may cache what it learns.</summary>
public sealed record FuseMountOptions
{
    /// <summary>The source shown in /proc/mounts (fsname), e.g. a layer digest.</summary>
    public string FsName { get; init; } = "pluggable-snapshotter";

    /// <summary>The subtype: the mount's type reads "fuse.&lt;Subtype&gt;"; empty for plain "fuse".</summary>
    public string Subtype { get; init; } = "pluggable";

    /// <summary>How long the kernel caches a name-to-node binding (entry_valid).</summary>
    public TimeSpan EntryTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the kernel caches attributes (attr_valid); zero turns the attribute cache off.</summary>
    public TimeSpan AttributeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the kernel caches "no such name" answers; zero disables negative caching.</summary>
    public TimeSpan NegativeEntryTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Keep file content in the page cache across opens (FOPEN_KEEP_CACHE); right when content never changes.</summary>
    public bool KeepCache { get; init; } = true;

    /// <summary>
    /// Threads that read requests from /dev/fuse; 0 picks half the processors (1 to 8). Requests that wait on their
    /// node free the thread, so more threads only help with many readers of content answered synchronously; each
    /// one copying competes with the readers for a CPU.
    /// </summary>
    public int Workers { get; init; }

    /// <summary>The largest READ in 4 KiB pages (FUSE_MAX_PAGES, at most 256 = 1 MiB).</summary>
    public int MaxPages { get; init; } = 256;

    /// <summary>Kernel readahead for this mount in KiB (the mount's bdi read_ahead_kb); 0 keeps the kernel default.</summary>
    public int ReadaheadKilobytes { get; init; } = 1024;

    /// <summary>Mount read-only (MS_RDONLY); the server answers writes with EROFS either way.</summary>
    public bool ReadOnly { get; init; } = true;

    /// <summary>
    /// Mount with default_permissions: the kernel checks file modes itself, refreshing the attributes of every
    /// directory on a path when they are not cached. Off, the server checks ACCESS, OPEN and OPENDIR against the
    /// caller's uid and gid (not its supplementary groups), and a stat with the attribute cache off costs one round
    /// trip instead of one per path component. Turn it off only under a directory other users cannot enter, or
    /// behind overlayfs, which checks modes on its own inodes.
    /// </summary>
    public bool DefaultPermissions { get; init; } = true;

    /// <summary>
    /// The transport; /dev/fuse by default. FUSE over io_uring (<see cref="FuseTransport.IoUring"/>, or
    /// <see cref="FuseTransport.Auto"/> to use it when the kernel offers it) gives every CPU a queue served by a
    /// thread pinned to it, so a request is answered on the CPU that made it: metadata round trips get about twice
    /// as fast, but bulk reads are served on the reader's own CPU, and each mount costs a thread and
    /// <see cref="UringQueueDepth"/> reply buffers per CPU. Worth it for mounts that run with attribute caching off.
    /// </summary>
    public FuseTransport Transport { get; init; } = FuseTransport.Device;

    /// <summary>
    /// Negotiate FUSE passthrough (Linux 6.9+, CONFIG_FUSE_PASSTHROUGH) so nodes implementing
    /// <see cref="INodeBackingFile"/> are read by the kernel straight from their local file. The mount then counts
    /// as one level of stacking: overlayfs on top of it still works, a stacked file system below a backing file
    /// does not (that file is served through READ instead).
    /// </summary>
    public bool Passthrough { get; init; }

    /// <summary>
    /// Entries per CPU queue over io_uring (2 to 1024). Each holds a pinned reply buffer of <see cref="MaxPages"/>
    /// pages, allocated on the managed heap: a mount costs possible CPUs × depth × max pages × 4 KiB (16 MiB per CPU
    /// with the defaults), counted against the GC's heap limit. Background reads may hold three quarters of one
    /// queue's entries, for the whole connection.
    /// </summary>
    public int UringQueueDepth { get; init; } = 16;

    /// <summary>
    /// A keeper to hand the mount's kernel connection to, so the mount outlives this process: after INIT the mount
    /// deposits its /dev/fuse descriptor (with <see cref="FsName"/> as the tree's identity), and a later
    /// <see cref="FuseMount.MountAsync"/> of the same tree at the same place, in this or a new process, resumes that
    /// connection instead of mounting again (no mount(2), no INIT; requests the previous process had read are sent
    /// again). Node ids are then numbered by one walk of the tree at mount, so they mean the same node in every
    /// process, and st_ino is the node id: the tree must list the same entries in the same order every time (an
    /// immutable tree does). Mounts over io_uring are not deposited. Null (the default): the connection dies with
    /// this process.
    /// </summary>
    public FuseKeeperClient? Keeper { get; init; }
}
