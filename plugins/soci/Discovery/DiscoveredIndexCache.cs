using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.Discovery;

/// <summary>
/// Discovery once per image: containerd prepares an image's layers one after another, and each asks for the same index.
/// Kept in the project's one per-image cache (<see cref="ImageCache{T}"/>, the image catalog's expiry): a failure is not
/// kept (the next layer tries again), an index found is found again after the expiry (a tag may have moved), and
/// <see cref="Forget"/> drops an image when containerd cleans it.
/// </summary>
internal sealed class DiscoveredIndexCache(SociIndexFinder finder, TimeProvider? time = null)
{
    private readonly ImageCache<DiscoveredIndex> _images = new(new ImageCatalogOptions().Expiry,
        found => found.ManifestDigest is { } digest ? [digest] : [], time);

    public Task<DiscoveredIndex> FindAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        var reference = ImageCatalog.ReferenceFromLabels(layer.ImageReference);
        var key = layer.SociIndexDigest is { } index ? $"{reference.Registry}/{reference.Repository}@index:{index}"
            : layer.ManifestDigest is { } manifest ? $"{reference.Registry}/{reference.Repository}@{manifest}"
            : reference.ToString();
        // Shared by every layer of the image, so no single caller's token cancels it; the registry client's timeouts bound it.
        return _images.GetAsync(key, () => finder.FindAsync(reference, layer.ManifestDigest, layer.SociIndexDigest, CancellationToken.None), cancellationToken);
    }

    /// <summary>Forgets what was found for the image whose manifest digest or reference is <paramref name="image"/>.</summary>
    public void Forget(string image)
    {
        finder.Forget(image);
        _images.Forget(image);
    }
}
