using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>What a reference names (an image index or a single manifest) and the manifests chosen from it.</summary>
internal sealed record ImageSelection(Descriptor Root, byte[] RootBytes, ImageIndex? Index, IReadOnlyList<SelectedManifest> Selected)
{
    /// <summary>Fetches the reference and picks manifests; every digest is verified by the client.</summary>
    public static async Task<ImageSelection> LoadAsync(RegistryClient client, ImageReference reference, PlatformChoice choice,
        CancellationToken cancellationToken)
    {
        (Descriptor root, byte[] bytes) = await FetchAsync(client, reference, cancellationToken).ConfigureAwait(false);
        if (!MediaTypes.IsIndex(root.MediaType))
        {
            ImageManifest manifest = OciJson.Parse<ImageManifest>(bytes, $"image manifest {root.Digest}");
            ImageConfig config = await client.GetConfigAsync(reference, manifest.Config, cancellationToken).ConfigureAwait(false);
            Platform? platform = config.Os is { } os && config.Architecture is { } arch ? new Platform { Os = os, Architecture = arch } : null;
            return new ImageSelection(root, bytes, null, [new SelectedManifest(root with { Platform = platform }, bytes, manifest, platform)]);
        }

        ImageIndex index = OciJson.Parse<ImageIndex>(bytes, $"image index {root.Digest}");
        var selected = new List<SelectedManifest>();
        foreach (Descriptor entry in index.Manifests)
        {
            if (!MediaTypes.IsManifest(entry.MediaType) || entry.ArtifactType is not null || !choice.Accepts(entry.Platform))
            {
                continue;
            }
            (Descriptor d, byte[] b) = await FetchAsync(client, reference.WithSelector(entry.Digest), cancellationToken).ConfigureAwait(false);
            selected.Add(new SelectedManifest(entry with { MediaType = d.MediaType }, b,
                OciJson.Parse<ImageManifest>(b, $"image manifest {entry.Digest}"), entry.Platform));
        }
        if (selected.Count == 0)
        {
            string wanted = choice.All ? "any platform" : string.Join(", ", choice.Platforms);
            throw new CliException($"image {reference} has no manifest for {wanted}");
        }
        return new ImageSelection(root, bytes, index, selected);
    }

    private static async Task<(Descriptor, byte[])> FetchAsync(RegistryClient client, ImageReference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            throw new CliException($"image {reference} not found");
        }
    }
}
