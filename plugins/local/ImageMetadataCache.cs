using System.Collections.Concurrent;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>
/// Finds a Prepare's layer in its image (manifest and config fetched once per image, since containerd prepares an
/// image's layers one after another) and forgets an image when containerd cleans it.
/// </summary>
internal sealed class ImageMetadataCache(RegistryClient registry)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ImageMetadata>>> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _manifestDigests = new(StringComparer.Ordinal); // cache key -> manifest digest

    private sealed record ImageMetadata(ImageReference Reference, string ManifestDigest, ImageManifest Manifest, ImageConfig Config);

    /// <summary>The layer the labels of <paramref name="layer"/> name.</summary>
    /// <exception cref="InvalidDataException">The labels are malformed, or the image does not contain the layer.</exception>
    public async Task<ImageLayer> FindAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(layer.ImageReference!);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"the Prepare labels carry an invalid image reference: {ex.Message}", ex);
        }

        var key = layer.ManifestDigest ?? reference.ToString();
        var entry = _images.GetOrAdd(key, _ => new Lazy<Task<ImageMetadata>>(() => LoadAsync(reference, layer.ManifestDigest)));
        ImageMetadata image;
        try
        {
            image = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            _manifestDigests[key] = image.ManifestDigest;
        }
        catch
        {
            _images.TryRemove(KeyValuePair.Create(key, entry)); // do not keep a failure: the next Prepare tries again
            throw;
        }

        var layers = image.Manifest.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i].Digest != layer.LayerDigest) continue;
            var diffIds = image.Config.RootFs?.DiffIds ?? [];
            return new ImageLayer(image.Reference, layers[i], diffIds.Count == layers.Count ? diffIds[i] : null, image.ManifestDigest);
        }

        throw new InvalidDataException($"layer {layer.LayerDigest} is not a layer of image {reference} (manifest {image.ManifestDigest})");
    }

    /// <summary>Forgets the image whose manifest (or reference) is <paramref name="imageDigest"/>.</summary>
    public void Forget(string imageDigest)
    {
        foreach (var key in _images.Keys)
        {
            if (key != imageDigest && !(_manifestDigests.TryGetValue(key, out var digest) && digest == imageDigest)) continue;
            _images.TryRemove(key, out _);
            _manifestDigests.TryRemove(key, out _);
        }
    }

    // Shared by every Prepare of the image, so no single caller's cancellation applies; the registry client's timeouts bound it.
    private async Task<ImageMetadata> LoadAsync(ImageReference reference, string? manifestDigest)
    {
        var cancellationToken = CancellationToken.None;
        // A digest from the labels pins the manifest; otherwise the reference resolves for this platform.
        var pinned = manifestDigest is not null && OciDigest.TryParse(manifestDigest, out _) ? reference.WithSelector(manifestDigest) : reference;
        var resolved = await registry.ResolveAsync(pinned, null, cancellationToken).ConfigureAwait(false);
        var manifest = resolved.Manifest;
        var digest = resolved.ManifestDescriptor.Digest;

        var config = await registry.GetConfigAsync(reference, manifest.Config, cancellationToken).ConfigureAwait(false);
        return new ImageMetadata(reference, digest, manifest, config);
    }
}
