namespace PluggableSnapshotter.Registry.Images;

/// <summary>
/// An image resolved for one platform: the manifest (pinned by digest), its config, and its layers paired with their diff
/// IDs. Immutable; the <see cref="ImageCatalog"/> shares one instance between every Prepare of the image.
/// </summary>
public sealed record CatalogImage
{
    /// <summary>The reference as asked for (its repository is where blobs are fetched from).</summary>
    public required ImageReference Reference { get; init; }

    /// <summary>The image index the manifest was selected from, when the reference named one.</summary>
    public Descriptor? Index { get; init; }

    /// <summary>The platform manifest's descriptor.</summary>
    public required Descriptor ManifestDescriptor { get; init; }

    /// <summary>The manifest, parsed.</summary>
    public required ImageManifest Manifest { get; init; }

    /// <summary>The manifest's bytes exactly as served (their digest was verified).</summary>
    public required ReadOnlyMemory<byte> ManifestBytes { get; init; }

    /// <summary>The image configuration (its digest was verified).</summary>
    public required ImageConfig Config { get; init; }

    /// <summary>The layers, bottom first, each with its diff ID.</summary>
    public required IReadOnlyList<ImageLayer> Layers { get; init; }

    /// <summary>The platform manifest's digest.</summary>
    public string ManifestDigest => ManifestDescriptor.Digest;

    /// <summary>The reference pinned to the manifest's digest (the tag kept for messages).</summary>
    public ImageReference Pinned => Reference.WithSelector(ManifestDigest) with { Tag = Reference.Tag };

    /// <summary>The layer whose blob digest is <paramref name="layerDigest"/> (the lowest, when an image repeats one), or null.</summary>
    public ImageLayer? FindLayer(string layerDigest) => Layers.FirstOrDefault(l => l.Descriptor.Digest == layerDigest);
}
