namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Where built artifacts (zTOCs, the index config) go: straight to a registry, or to the local store.</summary>
internal interface IArtifactSink
{
    Task PutBlobAsync(byte[] content, string mediaType, CancellationToken cancellationToken);
}
