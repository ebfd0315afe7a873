using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Pushes artifacts into a repository (skipping blobs it already has).</summary>
internal sealed class RegistrySink(RegistryClient client, ImageReference repository) : IArtifactSink
{
    public Task PutBlobAsync(byte[] content, string mediaType, CancellationToken cancellationToken) =>
        client.PushBlobAsync(repository, content, mediaType, cancellationToken);
}
