namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>Labels and annotations the estargz backend reads or adds.</summary>
internal static class EstargzLabels
{
    /// <summary>
    /// The digest of the layer's TOC JSON: a layer annotation in the image manifest, which containerd passes on as a
    /// Prepare label (its prefix is <c>containerd.io/snapshot/</c>).
    /// </summary>
    public const string TocDigest = "containerd.io/snapshot/stargz/toc.digest";

    /// <summary>"true" when the layer was mounted from the local store (no network), "false" when it started lazily.</summary>
    public const string MountedFromStore = "containerd.io/snapshot/pluggable.estargz.local";
}
