namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Decides when the daemon gives memory back: after a burst of work (lazily read images, pulls) the garbage collector
/// keeps what it grew until its next collection, and an idle daemon allocates nothing that would trigger one. So once
/// a busy period is followed by a quiet one, one compacting collection returns the freed heap to the system.
/// </summary>
/// <param name="BusyBytes">Bytes allocated since the last trim that make a trim worth it.</param>
/// <param name="QuietBytes">At most this many bytes allocated during the last period count as quiet.</param>
/// <param name="Period">How often the allocation counter is checked: a trim comes one to two periods after work stops.</param>
internal sealed record IdleTrimPolicy(long BusyBytes, long QuietBytes, TimeSpan Period)
{
    /// <summary>
    /// 16 MiB of work since the last trim, then half a second with under 512 KiB allocated. Checked every half second
    /// (it was every 5 s after 64 MiB): the memory a burst left comes back within a second of it, not 5-10 s later, and
    /// a node that starts containers one after the other (each start a quiet moment for the daemon while runc works)
    /// stays near its floor instead of stacking every start's garbage until a long pause.
    /// </summary>
    public static IdleTrimPolicy Default { get; } = new(16L << 20, 512L << 10, TimeSpan.FromMilliseconds(500));

    /// <summary>Whether to collect now, given the allocation counter at the last trim, at the last check and now.</summary>
    public bool ShouldTrim(long allocatedAtTrim, long allocatedAtLastCheck, long allocatedNow) =>
        allocatedNow - allocatedAtTrim >= BusyBytes && allocatedNow - allocatedAtLastCheck <= QuietBytes;
}
