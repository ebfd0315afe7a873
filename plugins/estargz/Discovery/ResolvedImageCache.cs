using System.Collections.Concurrent;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// The image manifest, resolved once per image (containerd prepares an image's layers one after another and each needs
/// its layer's descriptor: size, media type, TOC digest annotation). A failure is not kept; <see cref="Forget"/> drops an
/// image when containerd cleans it.
/// </summary>
internal sealed class ImageCache(RegistryClient registry)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ResolvedImage>>> _images = new(StringComparer.Ordinal);

    /// <summary>The image the Prepare labels name (by manifest digest when CRI sent it, else by reference).</summary>
    /// <exception cref="InvalidDataException">The labels' image reference is not a reference.</exception>
    public async Task<ResolvedImage> ResolveAsync(LayerRequest layer, CancellationToken cancellationToken)
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
        var key = target.ToString();
        // Shared by every layer of the image, so no single caller's token cancels it; the registry client's timeouts bound it.
        var entry = _images.GetOrAdd(key, _ => new Lazy<Task<ResolvedImage>>(() => registry.ResolveAsync(target, null, CancellationToken.None)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            _images.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    /// <summary>Forgets the image whose manifest digest or reference is <paramref name="image"/>.</summary>
    public void Forget(string image)
    {
        foreach (var (key, entry) in _images)
        {
            var digest = entry.IsValueCreated && entry.Value.IsCompletedSuccessfully ? entry.Value.Result.ManifestDescriptor.Digest : null;
            if (key == image || key.EndsWith("@" + image, StringComparison.Ordinal) || digest == image) _images.TryRemove(key, out _);
        }
    }
}
