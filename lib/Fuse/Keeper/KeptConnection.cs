namespace PluggableSnapshotter.Fuse;

/// <summary>
/// A FUSE connection a keeper holds (<see cref="FuseKeeper"/>): where it is mounted, which tree it serves, and what
/// INIT settled, so a new process can serve it again without mount(2) or INIT.
/// </summary>
public sealed record KeptConnection
{
    /// <summary>The absolute mount point.</summary>
    public required string MountPoint { get; init; }

    /// <summary>Which tree it serves (the mount's fsname, e.g. a layer digest): a resuming server must serve the same.</summary>
    public required string Identity { get; init; }

    /// <summary>The mount's device ("major:minor" in /proc/self/mountinfo): tells this connection's mount from a newer one at the same place.</summary>
    public required string Device { get; init; }

    /// <summary>The protocol minor INIT answered.</summary>
    public uint ProtocolMinor { get; init; }

    /// <summary>INIT capability bits 0-31 granted.</summary>
    public uint Flags { get; init; }

    /// <summary>INIT capability bits 32-63 granted.</summary>
    public uint Flags2 { get; init; }

    /// <summary>The largest READ in pages.</summary>
    public int MaxPages { get; init; }

    /// <summary>FUSE passthrough was granted.</summary>
    public bool Passthrough { get; init; }

    /// <summary>
    /// The process that deposited or last took the connection (the one serving it). A take answers with the holder
    /// before it, so a process can tell a connection it serves itself.
    /// </summary>
    public int HolderProcessId { get; init; }
}
