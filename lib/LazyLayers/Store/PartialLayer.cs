namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>A layer the store holds in part: its zTOC (and what it was mounted from), enough to mount it again offline.</summary>
public sealed record PartialLayer(string Digest, string MediaType, long Size, string ZtocPath, string ZtocDigest, string? IndexDigest, IReadOnlyList<string> Lowers);
