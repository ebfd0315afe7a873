using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>What a Prepare made: an active snapshot's mounts, or (remote Prepare) the committed layer it made itself.</summary>
/// <param name="Mounts">The active snapshot's mounts; empty when <see cref="CommittedTarget"/> is set.</param>
/// <param name="CommittedTarget">
/// The committed name (<see cref="SnapshotLabels.TargetRef"/>) the layer now exists under, made by a backend or found
/// already made; the active snapshot is gone. The gRPC adapter tells containerd with AlreadyExists, as remote snapshotters do.
/// </param>
internal sealed record PrepareResult(IReadOnlyList<MountSpec> Mounts, string? CommittedTarget = null)
{
    /// <summary>The layer exists as <paramref name="target"/>; containerd has nothing to apply.</summary>
    public static PrepareResult Committed(string target) => new([], target);
}
