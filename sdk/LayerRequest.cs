namespace PluggableSnapshotter.Sdk;

/// <summary>What the host asks of a backend for one image layer: where to put it, and the Prepare that asked.</summary>
public sealed record LayerRequest
{
    /// <summary>The empty directory the layer must appear in (<c>snapshots/&lt;id&gt;/fs</c>).</summary>
    public required string Mountpoint { get; init; }

    /// <summary>The active snapshot's key as containerd sent it (containerd 1.6: <c>&lt;namespace&gt;/&lt;seq&gt;/&lt;key&gt;</c>).</summary>
    public required string Key { get; init; }

    /// <summary>The containerd namespace of the request.</summary>
    public required string Namespace { get; init; }

    /// <summary>The labels of the Prepare, as containerd passed them.</summary>
    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary>The image reference, from either label family; null when the client sent none.</summary>
    public string? ImageReference => Label(SnapshotLabels.CriImageRef) ?? Label(SnapshotLabels.StargzReference);

    /// <summary>The layer's (compressed) digest, from either label family.</summary>
    public string? LayerDigest => Label(SnapshotLabels.CriLayerDigest) ?? Label(SnapshotLabels.StargzDigest);

    /// <summary>The image manifest's digest, when the client sent it (CRI does).</summary>
    public string? ManifestDigest => Label(SnapshotLabels.CriManifestDigest);

    /// <summary>
    /// The key backends cache an image under and <see cref="IFileSystem.CleanImageAsync"/> names it by: the manifest digest
    /// when the client sent it, else the image reference; null when the labels name no image.
    /// </summary>
    public string? ImageKey => ManifestDigest ?? ImageReference;

    /// <summary>An explicit SOCI index digest, when the client chose one.</summary>
    public string? SociIndexDigest => Label(SnapshotLabels.SociIndexDigest);

    /// <summary>The layer size from <see cref="SnapshotLabels.SociSize"/>, when the client sent it.</summary>
    public long? LayerSize => long.TryParse(Label(SnapshotLabels.SociSize), out var size) && size >= 0 ? size : null;

    /// <summary>The digests of all the image's layers, in order, from either label family (empty when absent).</summary>
    public IReadOnlyList<string> ImageLayers => SplitList(Label(SnapshotLabels.CriImageLayers) ?? Label(SnapshotLabels.StargzLayers));

    /// <summary>True when the labels name a layer of an image a backend can fetch (reference and layer digest).</summary>
    public bool DescribesImageLayer => ImageReference is not null && LayerDigest is not null;

    private string? Label(string key) =>
        Labels.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static string[] SplitList(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
