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
    /// 64 MiB of work since the last trim, then a second with under 256 KiB allocated (as quiet as the 1 MiB in 5 s it
    /// was). Checked every second (it was every 5 s): the memory a burst left comes back 1-2 s after it, not 5-10 s.
    /// Not sooner, and not after less work: a trim is three blocking full collections (~120 ms with 10 images mounted),
    /// and a half-second lull inside a container's reads must not pay for one. The end of a fill, the biggest burst,
    /// has its own collection (LazyLayers' FillDrainedCompaction).
    /// </summary>
    public static IdleTrimPolicy Default { get; } = new(64L << 20, 256L << 10, TimeSpan.FromSeconds(1));

    /// <summary>Whether to collect now, given the allocation counter at the last trim, at the last check and now.</summary>
    public bool ShouldTrim(long allocatedAtTrim, long allocatedAtLastCheck, long allocatedNow) =>
        allocatedNow - allocatedAtTrim >= BusyBytes && allocatedNow - allocatedAtLastCheck <= QuietBytes;
}
