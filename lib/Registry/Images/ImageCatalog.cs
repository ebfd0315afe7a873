namespace PluggableSnapshotter.Registry.Images;

/// <summary>
/// Image resolution, once for every backend: pins the manifest digest (from the Prepare labels when they carry one), selects
/// this platform's manifest from an index, reads the config and pairs each layer with its diff ID. Resolved images are kept
/// per image for <see cref="ImageCatalogOptions.Expiry"/> in an <see cref="ImageCache{T}"/>, because containerd prepares an
/// image's layers one after another and each Prepare asks for the same image; a failure is not kept, so the next Prepare
/// tries again.
/// </summary>
/// <remarks>Thread-safe. Concurrent requests for one image share one resolution.</remarks>
public sealed partial class ImageCatalog
{
    private readonly RegistryClient _registry;
    private readonly ImageCatalogOptions _options;
    private readonly ImageCache<CatalogImage> _images;

    /// <summary>Creates a catalog over <paramref name="registry"/>; it does no I/O until asked for an image.</summary>
    /// <param name="registry">The client images are fetched with.</param>
    /// <param name="options">Expiry and platform; null for the defaults.</param>
    /// <param name="time">The clock expiry is measured with; null for the system clock.</param>
    public ImageCatalog(RegistryClient registry, ImageCatalogOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _options = options ?? new ImageCatalogOptions();
        _images = new ImageCache<CatalogImage>(_options.Expiry, Digests, time);
    }

    /// <summary>
    /// The image <paramref name="reference"/> names, resolved for the catalog's platform. A valid
    /// <paramref name="manifestDigest"/> pins the manifest (or index) instead of the reference's tag.
    /// </summary>
    /// <exception cref="RegistryException">The registry refused or does not have the image, or it has no manifest for the platform.</exception>
    /// <exception cref="InvalidDataException">A document is malformed or does not match its digest, or the config's diff IDs do not pair with the layers.</exception>
    public async Task<CatalogImage> GetAsync(ImageReference reference, string? manifestDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var pinned = manifestDigest is not null && OciDigest.TryParse(manifestDigest, out _) ? reference.WithSelector(manifestDigest) : reference;
        var key = pinned.Digest is { } digest ? $"{pinned.Registry}/{pinned.Repository}@{digest}" : pinned.ToString();
        // Shared by every Prepare of the image, so no single caller's cancellation applies; the registry client's timeouts bound it.
        return await _images.GetAsync(key, () => ResolveAsync(reference, pinned, CancellationToken.None), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses an image reference as Prepare labels carry it.</summary>
    /// <exception cref="InvalidDataException">The text is missing or not a valid reference.</exception>
    public static ImageReference ReferenceFromLabels(string? text)
    {
        try
        {
            return ImageReference.Parse(text ?? throw new FormatException("no image reference"));
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"the Prepare labels carry an invalid image reference: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Forgets the image whose manifest digest, index digest or reference is <paramref name="image"/> (what containerd's
    /// CleanImage names), so its next use resolves it again.
    /// </summary>
    public void Forget(string image) => _images.Forget(image);

    /// <summary>Resolves an image without the cache (what <see cref="GetAsync"/> does on a miss).</summary>
    /// <param name="reference">The image; its repository is where the config is fetched from.</param>
    /// <param name="pinned">The reference to resolve: <paramref name="reference"/>, or it pinned to a digest.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    public async Task<CatalogImage> ResolveAsync(ImageReference reference, ImageReference pinned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(pinned);
        var resolved = await _registry.ResolveAsync(pinned, _options.Platform, cancellationToken).ConfigureAwait(false);
        var manifest = resolved.Manifest;
        var config = await _registry.GetConfigAsync(reference, manifest.Config, cancellationToken).ConfigureAwait(false);
        return new CatalogImage
        {
            Reference = reference,
            Index = resolved.Index,
            ManifestDescriptor = resolved.ManifestDescriptor,
            Manifest = manifest,
            ManifestBytes = resolved.ManifestBytes,
            Config = config,
            Layers = PairLayers(reference, resolved.ManifestDescriptor.Digest, manifest, config),
        };
    }

    // containerd refuses such an image too ("mismatched image rootfs and manifest layers"): without the pairing no layer's
    // unpacked content can be checked.
    private static ImageLayer[] PairLayers(ImageReference reference, string manifestDigest, ImageManifest manifest, ImageConfig config)
    {
        var diffIds = config.RootFs?.DiffIds ?? [];
        if (diffIds.Count != manifest.Layers.Count)
        {
            throw new InvalidDataException(
                $"image {reference} (manifest {manifestDigest}): its config {manifest.Config.Digest} lists {diffIds.Count} diff IDs for {manifest.Layers.Count} layers");
        }

        var layers = new ImageLayer[diffIds.Count];
        for (var i = 0; i < layers.Length; i++) layers[i] = new ImageLayer(manifest.Layers[i], diffIds[i], i);
        return layers;
    }

    private static IReadOnlyList<string> Digests(CatalogImage image) =>
        image.Index is { } index ? [image.ManifestDigest, index.Digest] : [image.ManifestDigest];
}
