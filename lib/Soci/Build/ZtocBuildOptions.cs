namespace PluggableSnapshotter.Soci;

/// <summary>Settings for building one zTOC.</summary>
public sealed record ZtocBuildOptions
{
    /// <summary>SOCI's default span: 4 MiB of uncompressed data between checkpoints.</summary>
    public const long DefaultSpanSize = 4L * 1024 * 1024;

    /// <summary>The identifier our CLI writes into zTOCs and index manifests.</summary>
    public const string DefaultBuildToolIdentifier = "PluggableSnapshotter psoci v0.1";

    public long SpanSize { get; init; } = DefaultSpanSize;
    public string BuildToolIdentifier { get; init; } = DefaultBuildToolIdentifier;
}
