namespace PluggableSnapshotter.Registry.Images;

public sealed partial class ImageCatalog
{
    /// <summary>
    /// Fetches what <paramref name="reference"/> names and picks its image manifests for <paramref name="platforms"/> (null
    /// for every platform), for tools that work on several platforms at once (psoci). Not cached. Artifacts listed in an index
    /// (an artifact type, or no platform, or the <c>unknown</c> OS of attestations) are never picked. A lone manifest's
    /// platform comes from its config.
    /// </summary>
    /// <exception cref="RegistryException">The image is not found, or none of its manifests matches.</exception>
    /// <exception cref="InvalidDataException">A document is malformed or does not match its digest.</exception>
    public async Task<ImageSelection> SelectAsync(ImageReference reference, IReadOnlyList<Platform>? platforms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var (root, bytes) = await FetchAsync(reference, cancellationToken).ConfigureAwait(false);
        if (!MediaTypes.IsIndex(root.MediaType))
        {
            var manifest = OciJson.Parse<ImageManifest>(bytes, $"image manifest {root.Digest}");
            var config = await _registry.GetConfigAsync(reference, manifest.Config, cancellationToken).ConfigureAwait(false);
            var platform = config.Os is { } os && config.Architecture is { } arch ? new Platform { Os = os, Architecture = arch } : null;
            return new ImageSelection(root, bytes, null, [new SelectedManifest(root with { Platform = platform }, bytes, manifest, platform)]);
        }

        var index = OciJson.Parse<ImageIndex>(bytes, $"image index {root.Digest}");
        var selected = new List<SelectedManifest>();
        foreach (var entry in index.Manifests)
        {
            if (!MediaTypes.IsManifest(entry.MediaType) || entry.ArtifactType is not null || !Accepts(platforms, entry.Platform)) continue;
            var (fetched, manifestBytes) = await FetchAsync(reference.WithSelector(entry.Digest), cancellationToken).ConfigureAwait(false);
            selected.Add(new SelectedManifest(entry with { MediaType = fetched.MediaType }, manifestBytes,
                OciJson.Parse<ImageManifest>(manifestBytes, $"image manifest {entry.Digest}"), entry.Platform));
        }

        if (selected.Count == 0)
        {
            var wanted = platforms is null ? "any platform" : string.Join(", ", platforms);
            throw new RegistryException($"image {reference} has no manifest for {wanted}");
        }

        return new ImageSelection(root, bytes, index, selected);
    }

    private static bool Accepts(IReadOnlyList<Platform>? platforms, Platform? candidate) =>
        candidate is not null && candidate.Os != "unknown" && (platforms is null || platforms.Any(p => p.Accepts(candidate)));

    private async Task<(Descriptor, byte[])> FetchAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await _registry.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            throw new RegistryException($"image {reference} not found", e.StatusCode, e);
        }
    }
}
