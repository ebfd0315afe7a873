using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>Labels only the host writes and reads (the ones backends see are in <see cref="SnapshotLabels"/>).</summary>
internal static class HostLabels
{
    /// <summary>Every backend the chain tried for the layer and how it ended (see <c>Plugins/WhyLabel</c>), on the snapshot of the layer.</summary>
    public const string Why = SnapshotLabels.SnapshotPrefix + "pluggable.why";

    /// <summary>The image reference of the Prepare that made the layer, so <c>why IMAGE</c> finds layers containerd pulled too.</summary>
    public const string Image = SnapshotLabels.SnapshotPrefix + "pluggable.image";

    /// <summary>The layer digest of the Prepare that made the layer.</summary>
    public const string Layer = SnapshotLabels.SnapshotPrefix + "pluggable.layer";

    /// <summary>The prefix of the labels the host records; the core carries them from an active snapshot to its commit.</summary>
    public const string Prefix = SnapshotLabels.SnapshotPrefix + "pluggable.";
}
