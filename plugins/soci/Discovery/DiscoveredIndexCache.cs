using System.Collections.Concurrent;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.Discovery;

/// <summary>
/// Discovery once per image: containerd prepares an image's layers one after another, and each asks for the same index.
/// A failure is not kept (the next layer tries again); <see cref="Forget"/> drops an image when containerd cleans it.
/// </summary>
internal sealed class DiscoveredIndexCache(SociIndexFinder finder)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<DiscoveredIndex>>> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _manifestDigests = new(StringComparer.Ordinal); // cache key -> manifest digest

    public async Task<DiscoveredIndex> FindAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        var reference = ImageCatalog.ReferenceFromLabels(layer.ImageReference);
        var key = layer.SociIndexDigest is { } index ? $"{reference.Registry}/{reference.Repository}@index:{index}"
            : layer.ManifestDigest is { } manifest ? $"{reference.Registry}/{reference.Repository}@{manifest}"
            : reference.ToString();
        // Shared by every layer of the image, so no single caller's token cancels it; the registry client's timeouts bound it.
        var entry = _images.GetOrAdd(key, _ => new Lazy<Task<DiscoveredIndex>>(
            () => finder.FindAsync(reference, layer.ManifestDigest, layer.SociIndexDigest, CancellationToken.None)));
        try
        {
            var found = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (found.ManifestDigest is not null) _manifestDigests[key] = found.ManifestDigest;
            return found;
        }
        catch (Exception) when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            _images.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    /// <summary>Forgets what was found for the image whose manifest digest or reference is <paramref name="image"/>.</summary>
    public void Forget(string image)
    {
        finder.Forget(image);
        foreach (var key in _images.Keys)
        {
            if (key == image || key.EndsWith("@" + image, StringComparison.Ordinal)
                || (_manifestDigests.TryGetValue(key, out var digest) && digest == image))
            {
                _images.TryRemove(key, out _);
                _manifestDigests.TryRemove(key, out _);
            }
        }
    }
}
