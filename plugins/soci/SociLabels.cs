namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>Labels the soci backend adds to the snapshots it prepares.</summary>
internal static class SociLabels
{
    /// <summary>"true" when the layer was mounted from the local store (no network), "false" when it started lazily.</summary>
    public const string MountedFromStore = "containerd.io/snapshot/pluggable.soci.local";
}
