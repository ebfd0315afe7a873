using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>An image's manifest and config, and its layers in the order the job fetches them.</summary>
internal sealed record ImageMetadata(string ManifestDigest, ImageManifest Manifest, IReadOnlyList<ImageMetadata.Layer> Layers)
{
    /// <summary>A layer to fetch: its descriptor and the diff ID the config gives it (null when unknown).</summary>
    internal sealed record Layer(Descriptor Descriptor, string? DiffId);

    /// <summary>
    /// Fetches the manifest (pinned by <paramref name="manifestDigest"/> when the labels gave one) and config. The layers are
    /// the manifest's, in its order, then any the labels list that it lacks (the tag moved): those get a descriptor with no
    /// size or media type, fetched in one request and sniffed. The label lists themselves are no order to follow:
    /// CRI's may be truncated and ctr-remote's starts at the layer being prepared.
    /// </summary>
    public static async Task<ImageMetadata> LoadAsync(
        RegistryClient registry, ImageReference reference, string? manifestDigest, IReadOnlyList<string> labelLayers, CancellationToken cancellationToken)
    {
        // A digest from the labels pins the manifest; otherwise the reference resolves for this platform.
        var pinned = manifestDigest is not null && OciDigest.TryParse(manifestDigest, out _) ? reference.WithSelector(manifestDigest) : reference;
        var resolved = await registry.ResolveAsync(pinned, null, cancellationToken).ConfigureAwait(false);
        var manifest = resolved.Manifest;
        var digest = resolved.ManifestDescriptor.Digest;

        var config = await registry.GetConfigAsync(reference, manifest.Config, cancellationToken).ConfigureAwait(false);
        var diffIds = config.RootFs?.DiffIds ?? [];
        var known = new Dictionary<string, Layer>(StringComparer.Ordinal);
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            known.TryAdd(manifest.Layers[i].Digest, new Layer(manifest.Layers[i], diffIds.Count == manifest.Layers.Count ? diffIds[i] : null));
        }

        var layers = new List<Layer>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layerDigest in manifest.Layers.Select(l => l.Digest).Concat(labelLayers))
        {
            if (!seen.Add(layerDigest)) continue;
            layers.Add(known.GetValueOrDefault(layerDigest) ?? Unlisted(layerDigest));
        }

        return new ImageMetadata(digest, manifest, layers);
    }

    /// <summary>A layer the labels name but the manifest does not describe.</summary>
    public static Layer Unlisted(string layerDigest) =>
        OciDigest.TryParse(layerDigest, out _)
            ? new Layer(new Descriptor { MediaType = "", Digest = layerDigest, Size = -1 }, null)
            : throw new InvalidDataException($"the Prepare labels name an invalid layer digest '{layerDigest}'");
}
