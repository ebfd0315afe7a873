using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Discovery;

/// <summary>
/// Finds the SOCI index of an image as SOCI's runtime does (soci-formats.md, "Discovery at pull time"): an explicit index
/// digest wins; else v2, the image manifest's <c>com.amazon.soci.index-digest</c> annotation (a missing index is "no
/// index", never a fall-through to v1); else v1 through the referrers API or its fallback tag, when enabled.
/// </summary>
internal sealed class SociIndexFinder(RegistryClient registry, ImageCatalog images, SociPullModes modes)
{
    /// <summary>Forgets the resolved image <paramref name="image"/> names (a manifest digest or reference).</summary>
    public void Forget(string image) => images.Forget(image);

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

        // The catalog skips the SOCI v2 index an image index lists beside each manifest: it carries an artifact type.
        var resolved = await images.GetAsync(reference, manifestDigest, cancellationToken).ConfigureAwait(false);
        var (digest, manifest) = (resolved.ManifestDigest, resolved.Manifest);
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
