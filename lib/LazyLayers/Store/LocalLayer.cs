namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>A layer the store holds complete: its unpacked tree, and the zTOC (and index) it was mounted from.</summary>
public sealed record LocalLayer(string Digest, string MediaType, long Size, string FsPath, string ZtocPath, string ZtocDigest, string? IndexDigest);
