using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>
/// Pushes a v1 index so it can be found from its subject: registries with the referrers API index the subject
/// on push; for the others the index is added to the fallback tag's image index (OCI distribution spec,
/// "Pushing Manifests with Subject").
/// </summary>
internal sealed class ReferrerPublisher(RegistryClient client)
{
    /// <returns>True when the fallback tag had to be written.</returns>
    public async Task<bool> PublishAsync(ImageReference repository, string manifestDigest, byte[] indexManifest, CancellationToken cancellationToken)
    {
        Descriptor pushed = await client.PushManifestAsync(repository.WithSelector(ZtocSerializer.Digest(indexManifest)),
            MediaTypes.OciManifest, indexManifest, cancellationToken).ConfigureAwait(false);
        OciDigest subject = OciDigest.Parse(manifestDigest);
        ImageIndex referrers = await client.GetReferrersAsync(repository, subject, SociMediaTypes.IndexV1, cancellationToken)
            .ConfigureAwait(false);
        if (referrers.Manifests.Any(m => m.Digest == pushed.Digest))
        {
            return false;
        }

        ImageReference tag = repository.WithSelector(RegistryClient.ReferrersFallbackTag(subject));
        ImageIndex current;
        try
        {
            (_, byte[] bytes) = await client.GetManifestAsync(tag, cancellationToken).ConfigureAwait(false);
            current = OciJson.Parse<ImageIndex>(bytes, $"referrers fallback tag {tag}");
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            current = new ImageIndex { MediaType = MediaTypes.OciIndex };
        }
        SociIndexManifest parsed = SociIndexManifest.Parse(indexManifest);
        var entry = pushed with
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = SociMediaTypes.IndexV1,
            Annotations = parsed.Annotations,
        };
        var updated = current with
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [.. current.Manifests.Where(m => m.Digest != entry.Digest), entry],
        };
        await client.PushManifestAsync(tag, MediaTypes.OciIndex, OciJson.Serialize(updated), cancellationToken).ConfigureAwait(false);
        return true;
    }
}
