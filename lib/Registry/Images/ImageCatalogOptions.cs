namespace PluggableSnapshotter.Registry.Images;

/// <summary>How long an <see cref="ImageCatalog"/> keeps what it resolved, and for which platform it resolves.</summary>
public sealed record ImageCatalogOptions
{
    /// <summary>
    /// How long a resolved image is reused. containerd prepares an image's layers one after another within seconds, so this
    /// only has to outlast one pull; past it a tag is resolved again (it may have moved) and a forgotten image's memory is freed.
    /// </summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The platform whose manifest is selected from an image index; null for <see cref="Registry.Platform.Current"/>.</summary>
    public Platform? Platform { get; init; }
}
