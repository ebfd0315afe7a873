using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci.Cli.Output;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>
/// Builds the SOCI index of one image manifest: streams each qualifying layer from the registry once through the
/// zTOC builder, puts the zTOCs and the index config into a sink, and returns the index manifest.
/// </summary>
internal sealed class ManifestIndexer(RegistryClient client, Reporter reporter, BuildSettings settings)
{
    public async Task<BuiltIndex> BuildAsync(ImageReference source, Descriptor manifestDescriptor, ImageManifest manifest,
        string platform, SociIndexVersion version, IArtifactSink sink, CancellationToken cancellationToken)
    {
        IReadOnlyList<LayerPlan> plans = SociLayerPlanner.Plan(manifest.Layers, settings.MinLayerSize);
        for (int i = 0; i < plans.Count; i++)
        {
            if (!plans[i].GetsZtoc)
            {
                reporter.Note($"[{platform}] layer {i + 1}/{plans.Count} {plans[i].Layer.Digest}: skipped, {plans[i].SkipReason}");
            }
        }
        if (!plans.Any(p => p.GetsZtoc))
        {
            throw new CliException(
                $"no layer of {source} ({platform}) qualifies for a zTOC (gzip or uncompressed tar, at least {settings.MinLayerSize} bytes; see --min-layer-size)");
        }

        var indexed = new List<SociIndexLayer>();
        for (int i = 0; i < plans.Count; i++)
        {
            if (plans[i].GetsZtoc)
            {
                string label = $"[{platform}] layer {i + 1}/{plans.Count} {Short(plans[i].Layer.Digest)}";
                indexed.Add(await BuildLayerAsync(source, manifest.Layers[i], plans[i].Compression!.Value, label, sink, cancellationToken)
                    .ConfigureAwait(false));
            }
        }

        Descriptor? subject = version == SociIndexVersion.V1
            ? new Descriptor { MediaType = manifestDescriptor.MediaType, Digest = manifestDescriptor.Digest, Size = manifestDescriptor.Size }
            : null;
        byte[] json = SociIndexManifest.Create(version, indexed, settings.BuildToolIdentifier, subject).ToJson();
        await sink.PutBlobAsync(SociMediaTypes.EmptyJson.ToArray(), SociIndexManifest.ArtifactTypeOf(version), cancellationToken)
            .ConfigureAwait(false);
        return new BuiltIndex(json, ZtocSerializer.Digest(json), indexed.Count);
    }

    private async Task<SociIndexLayer> BuildLayerAsync(ImageReference source, Descriptor layer, LayerCompression compression,
        string label, IArtifactSink sink, CancellationToken cancellationToken)
    {
        reporter.Note($"{label}: building zTOC ({compression}, {layer.Size / 1e6:F1} MB, span {settings.SpanSize})");
        Stream blob = await client.OpenBlobAsync(source, layer, cancellationToken).ConfigureAwait(false);
        await using var progress = new ProgressStream(blob, layer.Size, reporter, label);
        Ztoc ztoc = await ZtocBuilder.BuildAsync(progress, compression,
            new ZtocBuildOptions { SpanSize = settings.SpanSize, BuildToolIdentifier = settings.BuildToolIdentifier },
            cancellationToken).ConfigureAwait(false);
        byte[] bytes = ZtocSerializer.Serialize(ztoc);
        await sink.PutBlobAsync(bytes, SociMediaTypes.Ztoc, cancellationToken).ConfigureAwait(false);
        return new SociIndexLayer(layer, ZtocSerializer.Digest(bytes), bytes.Length, settings.SpanSize,
            SociIndexLayer.CanDisableXattrs(ztoc));
    }

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
