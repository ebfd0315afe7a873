using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// The image manifest, resolved once per image (containerd prepares an image's layers one after another and each needs
/// its layer's descriptor: size, media type, TOC digest annotation). Kept in the project's one per-image cache
/// (<see cref="ImageCache{T}"/>, the image catalog's expiry): a failure is not kept, a tag is resolved again after the
/// expiry (it may have moved), and <see cref="Forget"/> drops an image when containerd cleans it.
/// </summary>
internal sealed class ResolvedImageCache(RegistryClient registry, TimeProvider? time = null)
{
    private readonly ImageCache<ResolvedImage> _images = new(new ImageCatalogOptions().Expiry, image => [image.ManifestDescriptor.Digest], time);

    /// <summary>The image the Prepare labels name (by manifest digest when CRI sent it, else by reference).</summary>
    /// <exception cref="InvalidDataException">The labels' image reference is not a reference.</exception>
    public Task<ResolvedImage> ResolveAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(layer.ImageReference!);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"the Prepare labels carry an invalid image reference: {e.Message}", e);
        }
        var target = layer.ManifestDigest is { } manifest && OciDigest.TryParse(manifest, out _) ? reference.WithSelector(manifest) : reference;
        // Shared by every layer of the image, so no single caller's token cancels it; the registry client's timeouts bound it.
        return _images.GetAsync(target.ToString(), () => registry.ResolveAsync(target, null, CancellationToken.None), cancellationToken);
    }

    /// <summary>Forgets the image whose manifest digest or reference is <paramref name="image"/>.</summary>
    public void Forget(string image) => _images.Forget(image);
}
