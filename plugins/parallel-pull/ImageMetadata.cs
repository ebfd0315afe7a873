using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>An image's manifest and its layers in the order the job fetches them.</summary>
internal sealed record ImageMetadata(string ManifestDigest, ImageManifest Manifest, IReadOnlyList<ImageMetadata.Layer> Layers)
{
    /// <summary>A layer to fetch: its descriptor and the diff ID the config gives it (null when unknown).</summary>
    internal sealed record Layer(Descriptor Descriptor, string? DiffId);

    /// <summary>
    /// Resolves the image through the catalog (pinned by <paramref name="manifestDigest"/> when the labels gave one). The layers
    /// are the manifest's, in its order, then any the labels list that it lacks (the tag moved): those get a descriptor with no
    /// size or media type, fetched in one request and sniffed. The label lists themselves are no order to follow:
    /// CRI's may be truncated and ctr-remote's starts at the layer being prepared.
    /// </summary>
    public static async Task<ImageMetadata> LoadAsync(
        ImageCatalog images, ImageReference reference, string? manifestDigest, IReadOnlyList<string> labelLayers, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(reference, manifestDigest, cancellationToken).ConfigureAwait(false);
        var known = new Dictionary<string, Layer>(StringComparer.Ordinal);
        foreach (var layer in image.Layers) known.TryAdd(layer.Descriptor.Digest, new Layer(layer.Descriptor, layer.DiffId));

        var layers = new List<Layer>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layerDigest in image.Layers.Select(l => l.Descriptor.Digest).Concat(labelLayers))
        {
            if (!seen.Add(layerDigest)) continue;
            layers.Add(known.GetValueOrDefault(layerDigest) ?? Unlisted(layerDigest));
        }

        return new ImageMetadata(image.ManifestDigest, image.Manifest, layers);
    }

    /// <summary>A layer the labels name but the manifest does not describe.</summary>
    public static Layer Unlisted(string layerDigest) =>
        OciDigest.TryParse(layerDigest, out _)
            ? new Layer(new Descriptor { MediaType = "", Digest = layerDigest, Size = -1 }, null)
            : throw new InvalidDataException($"the Prepare labels name an invalid layer digest '{layerDigest}'");
}
