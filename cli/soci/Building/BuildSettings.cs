namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>How indexes are built: span size, which layers qualify, and the identifier written into artifacts.</summary>
internal sealed record BuildSettings
{
    public long SpanSize { get; init; } = ZtocBuildOptions.DefaultSpanSize;
    public long MinLayerSize { get; init; } = SociLayerPlanner.DefaultMinLayerSize;
    public string BuildToolIdentifier { get; init; } = ZtocBuildOptions.DefaultBuildToolIdentifier;
}
