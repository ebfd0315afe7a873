namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Decides when the daemon gives memory back: after a burst of work (lazily read images, pulls) the garbage collector
/// keeps what it grew until its next collection, and an idle daemon allocates nothing that would trigger one. So once
/// a busy period is followed by a quiet one, one compacting collection returns the freed heap to the system.
/// </summary>
/// <param name="BusyBytes">Bytes allocated since the last trim that make a trim worth it.</param>
/// <param name="QuietBytes">At most this many bytes allocated during the last period count as quiet.</param>
internal sealed record IdleTrimPolicy(long BusyBytes, long QuietBytes)
{
    /// <summary>64 MiB of work since the last trim, then a period with under 1 MiB allocated.</summary>
    public static IdleTrimPolicy Default { get; } = new(64L << 20, 1L << 20);

    /// <summary>Whether to collect now, given the allocation counter at the last trim, at the last check and now.</summary>
    public bool ShouldTrim(long allocatedAtTrim, long allocatedAtLastCheck, long allocatedNow) =>
        allocatedNow - allocatedAtTrim >= BusyBytes && allocatedNow - allocatedAtLastCheck <= QuietBytes;
}
