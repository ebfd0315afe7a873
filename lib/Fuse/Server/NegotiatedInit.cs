namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// What INIT settled for a connection. The kernel never sends INIT again, so a process resuming a kept connection
/// (<see cref="FuseKeeperClient"/>) takes these from the keeper instead.
/// </summary>
/// <param name="Minor">The protocol minor answered (fuse_init_out.minor).</param>
/// <param name="Flags">Capability bits 0-31 granted.</param>
/// <param name="Flags2">Capability bits 32-63 granted.</param>
/// <param name="MaxPages">The largest READ in pages (fuse_init_out.max_pages).</param>
/// <param name="Passthrough">FUSE_PASSTHROUGH was granted.</param>
/// <param name="IoUring">Requests travel through io_uring queues (such a connection cannot be resumed).</param>
internal readonly record struct NegotiatedInit(uint Minor, uint Flags, uint Flags2, int MaxPages, bool Passthrough, bool IoUring)
{
    /// <summary>The largest READ payload the kernel asks for.</summary>
    public int MaxRead => Math.Min(MaxPages * 4096, LargeBufferPool.Size - Protocol.OutHeader.Size);
}
