using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Discovery;

/// <summary>
/// Finds the SOCI index of an image as SOCI's runtime does (soci-formats.md, "Discovery at pull time"): an explicit index
/// digest wins; else v2, the image manifest's <c>com.amazon.soci.index-digest</c> annotation (a missing index is "no
/// index", never a fall-through to v1); else v1 through the referrers API or its fallback tag, when enabled.
/// </summary>
internal sealed class SociIndexFinder(RegistryClient registry, SociPullModes modes)
{
    public async Task<DiscoveredIndex> FindAsync(ImageReference reference, string? manifestDigest, string? explicitIndexDigest, CancellationToken cancellationToken)
    {
        if (explicitIndexDigest is not null)
        {
            // The index names each layer and its zTOC, so the image manifest is not needed (nor is the tag: restarts stay on this index).
            var index = await FetchIndexAsync(reference, explicitIndexDigest, cancellationToken).ConfigureAwait(false);
            return index is null
                ? new DiscoveredIndex { Repository = reference, NoIndexReason = $"the SOCI index {explicitIndexDigest} the labels name is not in the registry" }
                : new DiscoveredIndex { Repository = reference, Index = index, IndexDigest = explicitIndexDigest };
        }

        var (digest, manifest) = await ResolveManifestAsync(reference, manifestDigest, cancellationToken).ConfigureAwait(false);
        var image = new DiscoveredIndex { Repository = reference, ManifestDigest = digest, Manifest = manifest };
        if (modes.SociV2.Enable && manifest.Annotations?.GetValueOrDefault(SociAnnotations.IndexDigest) is { Length: > 0 } v2Digest)
        {
            var index = await FetchIndexAsync(reference, v2Digest, cancellationToken).ConfigureAwait(false);
            return index is null
                ? image with { NoIndexReason = $"the image manifest names SOCI index {v2Digest}, which is not in the registry" }
                : image with { Index = index, IndexDigest = v2Digest };
        }
        if (modes.SociV1.Enable)
        {
            var referrers = await registry.GetReferrersAsync(reference, OciDigest.Parse(digest), SociMediaTypes.IndexV1, cancellationToken).ConfigureAwait(false);
            if (referrers.Manifests.FirstOrDefault(m => m.ArtifactType == SociMediaTypes.IndexV1) is { } v1)
            {
                var index = await FetchIndexAsync(reference, v1.Digest, cancellationToken).ConfigureAwait(false);
                if (index is not null) return image with { Index = index, IndexDigest = v1.Digest };
            }
        }
        return image with
        {
            NoIndexReason = modes.SociV1.Enable ? "the image has no SOCI index (v2 annotation or v1 referrer)" : "the image has no v2 SOCI index (v1 discovery is off)",
        };
    }

    private async Task<(string Digest, ImageManifest Manifest)> ResolveManifestAsync(ImageReference reference, string? manifestDigest, CancellationToken cancellationToken)
    {
        var target = manifestDigest is not null && OciDigest.TryParse(manifestDigest, out _) ? reference.WithSelector(manifestDigest) : reference;
        var (descriptor, bytes) = await registry.GetManifestAsync(target, cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            var list = OciJson.Parse<Registry.ImageIndex>(bytes, $"image index {descriptor.Digest}");
            var selected = SelectPlatformManifest(list)
                ?? throw new InvalidDataException($"image {reference} has no manifest for platform {Platform.Current}");
            (descriptor, bytes) = await registry.GetManifestAsync(reference.WithSelector(selected.Digest), cancellationToken).ConfigureAwait(false);
        }
        if (!MediaTypes.IsManifest(descriptor.MediaType))
            throw new InvalidDataException($"{target} is a '{descriptor.MediaType}', not an image manifest");
        return (descriptor.Digest, OciJson.Parse<ImageManifest>(bytes, $"image manifest {descriptor.Digest}"));
    }

    /// <summary>
    /// The image manifest for this machine. A SOCI-enabled image index also lists the SOCI index (an OCI manifest with the
    /// same platform and an artifact type), which is never the image.
    /// </summary>
    internal static Descriptor? SelectPlatformManifest(Registry.ImageIndex list) =>
        list.Manifests.FirstOrDefault(m => MediaTypes.IsManifest(m.MediaType) && m.ArtifactType is null
            && m.Annotations?.ContainsKey(SociAnnotations.ImageManifestDigest) != true && Platform.Current.Accepts(m.Platform));

    /// <summary>The index manifest <paramref name="digest"/> names (its digest verified), or null when the registry does not have it.</summary>
    private async Task<SociIndexManifest?> FetchIndexAsync(ImageReference reference, string digest, CancellationToken cancellationToken)
    {
        if (!OciDigest.TryParse(digest, out _)) throw new InvalidDataException($"SOCI index digest '{digest}' is not a digest");
        try
        {
            var (_, bytes) = await registry.GetManifestAsync(reference.WithSelector(digest), cancellationToken).ConfigureAwait(false);
            return SociIndexManifest.Parse(bytes);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            return null;
        }
    }
}
