namespace PluggableSnapshotter.Sdk;

/// <summary>The snapshot label keys containerd, its clients and this snapshotter use (see shared/spec/soci-formats.md).</summary>
public static class SnapshotLabels
{
    /// <summary>The committed name a Prepare unpacks into; its presence means "this Prepare unpacks an image layer".</summary>
    public const string TargetRef = "containerd.io/snapshot.ref";

    /// <summary>Set by a remote snapshotter on the snapshots it committed itself.</summary>
    public const string Remote = "containerd.io/snapshot/remote";

    /// <summary>The value of <see cref="Remote"/>.</summary>
    public const string RemoteValue = "remote snapshot";

    /// <summary>Image reference, set by CRI.</summary>
    public const string CriImageRef = "containerd.io/snapshot/cri.image-ref";

    /// <summary>Image manifest digest, set by CRI.</summary>
    public const string CriManifestDigest = "containerd.io/snapshot/cri.manifest-digest";

    /// <summary>Layer digest, set by CRI.</summary>
    public const string CriLayerDigest = "containerd.io/snapshot/cri.layer-digest";

    /// <summary>Comma-separated digests of the image's layers (may be truncated), set by CRI.</summary>
    public const string CriImageLayers = "containerd.io/snapshot/cri.image-layers";

    /// <summary>Image reference, set by <c>ctr-remote image rpull</c>.</summary>
    public const string StargzReference = "containerd.io/snapshot/remote/stargz.reference";

    /// <summary>Layer digest, set by <c>ctr-remote image rpull</c>.</summary>
    public const string StargzDigest = "containerd.io/snapshot/remote/stargz.digest";

    /// <summary>Comma-separated digests of the image's layers, set by <c>ctr-remote image rpull</c>.</summary>
    public const string StargzLayers = "containerd.io/snapshot/remote/stargz.layers";

    /// <summary>Layer size in bytes, set by SOCI-aware clients.</summary>
    public const string SociSize = "containerd.io/snapshot/remote/soci.size";

    /// <summary>An explicit SOCI index digest, set by SOCI-aware clients; wins over discovery.</summary>
    public const string SociIndexDigest = "containerd.io/snapshot/remote/soci.index.digest";

    /// <summary>Comma-separated sizes of the image's layers, set by SOCI-aware clients.</summary>
    public const string ImageLayersSize = "containerd.io/snapshot/remote/image.layers.size";

    /// <summary>User id mapping of an id-mapped snapshot: <c>ctr:host:len[,...]</c>.</summary>
    public const string UidMapping = "containerd.io/snapshot/uidmapping";

    /// <summary>Group id mapping of an id-mapped snapshot: <c>ctr:host:len[,...]</c>.</summary>
    public const string GidMapping = "containerd.io/snapshot/gidmapping";

    /// <summary>The name of the backend that made a snapshot (shown by <c>ctr snapshots info</c>).</summary>
    public const string Backend = "containerd.io/snapshot/pluggable.backend";

    /// <summary>How the backend made it: lazy, parallel or local.</summary>
    public const string BackendRole = "containerd.io/snapshot/pluggable.role";

    /// <summary>The chain (from plugins.yaml) that served the image.</summary>
    public const string Chain = "containerd.io/snapshot/pluggable.chain";

    /// <summary>The containerd namespace that prepared a remote snapshot (needed to mount it again at restart).</summary>
    public const string Namespace = "containerd.io/snapshot/pluggable.namespace";

    /// <summary>The prefix under which containerd passes labels through to snapshotters.</summary>
    public const string SnapshotPrefix = "containerd.io/snapshot/";
}
