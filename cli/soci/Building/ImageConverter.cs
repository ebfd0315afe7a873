using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci.Cli.Output;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>
/// `convert SRC DST`: makes a SOCI-enabled image (index v2) in the registry. For each selected platform the
/// zTOCs and the index are built and pushed, the image manifest is rewritten with the index-digest annotation,
/// and an image index listing the rewritten manifests and their SOCI indexes is pushed under DST's tag.
/// Platforms not selected are kept as they were.
/// </summary>
internal sealed class ImageConverter(RegistryClient client, ImageCatalog catalog, Reporter reporter, BuildSettings settings)
{
    public async Task<Descriptor> ConvertAsync(ImageReference source, ImageReference destination, PlatformChoice choice,
        CancellationToken cancellationToken)
    {
        ImageSelection selection = await catalog.SelectAsync(source, choice.Filter, cancellationToken).ConfigureAwait(false);
        bool sameRepository = References.SameRepository(source, destination);
        var copier = new BlobCopier(client, reporter);
        var indexer = new ManifestIndexer(client, reporter, settings);
        var sink = new RegistrySink(client, destination);
        var converted = new List<ConvertedManifest>();

        foreach (SelectedManifest m in selection.Selected)
        {
            reporter.Note($"[{m.PlatformText}] converting manifest {m.Descriptor.Digest} ({m.Manifest.Layers.Count} layers)");
            if (!sameRepository)
            {
                await copier.CopyManifestBlobsAsync(source, destination, m.Manifest, cancellationToken).ConfigureAwait(false);
            }
            BuiltIndex index = await indexer.BuildAsync(source, m.Descriptor, m.Manifest, m.PlatformText, SociIndexVersion.V2, sink,
                cancellationToken).ConfigureAwait(false);
            await client.PushManifestAsync(destination.WithSelector(index.Digest), MediaTypes.OciManifest, index.Manifest,
                cancellationToken).ConfigureAwait(false);

            (byte[] manifest, Descriptor rewritten) = SociEnabledImage.AnnotateManifest(m.Bytes, m.Descriptor, index.Digest);
            await client.PushManifestAsync(destination.WithSelector(rewritten.Digest), MediaTypes.OciManifest, manifest,
                cancellationToken).ConfigureAwait(false);
            Descriptor sociIndex = SociEnabledImage.IndexDescriptor(index.Digest, index.Size, rewritten.Digest, m.Platform);
            converted.Add(new ConvertedManifest(m.Descriptor.Digest, rewritten, sociIndex));
            reporter.Note($"[{m.PlatformText}] SOCI index {index.Digest} ({index.ZtocCount} zTOCs), manifest {rewritten.Digest}");
        }

        if (selection.Index is { } original && !sameRepository)
        {
            foreach (Descriptor other in original.Manifests.Where(d => converted.All(c => c.OriginalDigest != d.Digest)))
            {
                await copier.CopyManifestAsync(source, destination, other, cancellationToken).ConfigureAwait(false);
            }
        }

        byte[] imageIndex = SociEnabledImage.BuildImageIndex(selection.Index is null ? null : selection.RootBytes, converted);
        return await client.PushManifestAsync(destination, MediaTypes.OciIndex, imageIndex, cancellationToken).ConfigureAwait(false);
    }
}
