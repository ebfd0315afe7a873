using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>
/// Finds the SOCI index of an image manifest the way the snapshotter does (soci-formats.md, "Discovery"):
/// an explicit digest wins; else the v2 annotation on the manifest; else the first v1 index among its referrers.
/// A v2 annotation that points at a missing index is an error, never a fall-through to v1.
/// </summary>
internal sealed class IndexLocator(RegistryClient client)
{
    public async Task<LocatedIndex?> FindAsync(ImageReference repository, SelectedManifest manifest, string? explicitDigest,
        CancellationToken cancellationToken)
    {
        if (explicitDigest is not null)
        {
            return await FetchAsync(repository, explicitDigest, "--index", cancellationToken).ConfigureAwait(false);
        }
        if (SociIndexDiscovery.IndexDigestFromManifest(manifest.Bytes) is { } v2)
        {
            return await FetchAsync(repository, v2, "manifest annotation (v2)", cancellationToken).ConfigureAwait(false);
        }
        ImageIndex referrers = await client.GetReferrersAsync(repository, OciDigest.Parse(manifest.Descriptor.Digest),
            SociMediaTypes.IndexV1, cancellationToken).ConfigureAwait(false);
        Descriptor? v1 = SociIndexDiscovery.FirstV1Index(referrers.Manifests);
        return v1 is null
            ? null
            : await FetchAsync(repository, v1.Digest, "referrers (v1)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every v1 index among the manifest's referrers.</summary>
    public async Task<IReadOnlyList<Descriptor>> V1IndexesAsync(ImageReference repository, string manifestDigest, CancellationToken cancellationToken)
    {
        ImageIndex referrers = await client.GetReferrersAsync(repository, OciDigest.Parse(manifestDigest), SociMediaTypes.IndexV1,
            cancellationToken).ConfigureAwait(false);
        return referrers.Manifests;
    }

    public async Task<LocatedIndex> FetchAsync(ImageReference repository, string digest, string foundBy, CancellationToken cancellationToken)
    {
        try
        {
            (_, byte[] bytes) = await client.GetManifestAsync(repository.WithSelector(digest), cancellationToken).ConfigureAwait(false);
            return new LocatedIndex(digest, bytes, SociIndexManifest.Parse(bytes), foundBy);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            throw new CliException($"SOCI index {digest} is not in {repository.Registry}/{repository.Repository}");
        }
    }
}
