using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci.Cli.Output;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Copies what a manifest refers to into another repository (blobs the target has are skipped).</summary>
internal sealed class BlobCopier(RegistryClient client, Reporter reporter)
{
    public async Task CopyManifestBlobsAsync(ImageReference source, ImageReference target, ImageManifest manifest, CancellationToken cancellationToken)
    {
        foreach (Descriptor blob in manifest.Layers.Prepend(manifest.Config))
        {
            reporter.Note($"copying {blob.Digest} ({blob.Size / 1e6:F1} MB) to {target.Registry}/{target.Repository}");
            await client.PushBlobAsync(target, blob, ct => client.OpenBlobAsync(source, blob, ct), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies a manifest (by digest) with its blobs; other documents (nested indexes) are copied as they are.</summary>
    public async Task CopyManifestAsync(ImageReference source, ImageReference target, Descriptor descriptor, CancellationToken cancellationToken)
    {
        (Descriptor fetched, byte[] bytes) = await client.GetManifestAsync(source.WithSelector(descriptor.Digest), cancellationToken)
            .ConfigureAwait(false);
        if (MediaTypes.IsManifest(fetched.MediaType))
        {
            await CopyManifestBlobsAsync(source, target, OciJson.Parse<ImageManifest>(bytes, $"manifest {descriptor.Digest}"), cancellationToken)
                .ConfigureAwait(false);
        }
        await client.PushManifestAsync(target.WithSelector(descriptor.Digest), descriptor.MediaType, bytes, cancellationToken).ConfigureAwait(false);
    }
}
