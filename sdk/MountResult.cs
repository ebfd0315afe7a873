namespace PluggableSnapshotter.Sdk;

/// <summary>The outcome of a mount operation and, when it is not <see cref="MountOutcome.Mounted"/>, why.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">A short explanation for logs, such as "image has no SOCI index"; never a credential.</param>
public readonly record struct MountResult(MountOutcome Outcome, string? Reason = null)
{
    /// <summary>The layer is available at the mount point.</summary>
    public static MountResult Mounted { get; } = new(MountOutcome.Mounted);

    /// <summary>The image has no usable index.</summary>
    public static MountResult NoIndex(string reason) => new(MountOutcome.NoIndex, reason);

    /// <summary>The image is indexed but the layer is not.</summary>
    public static MountResult NoZtoc(string reason) => new(MountOutcome.NoZtoc, reason);

    /// <summary>Hand the layer back to containerd.</summary>
    public static MountResult Defer(string reason) => new(MountOutcome.DeferToContainerRuntime, reason);

    /// <summary>The backend does not play this operation's role.</summary>
    public static MountResult NotSupported(string reason) => new(MountOutcome.NotSupported, reason);

    /// <summary>
    /// Labels the snapshotter adds to the committed snapshot when the layer is mounted (such as which backend served it);
    /// keys outside <see cref="SnapshotLabels.SnapshotPrefix"/> are not shown by containerd.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>True when the layer is available.</summary>
    public bool IsMounted => Outcome == MountOutcome.Mounted;
}
