namespace PluggableSnapshotter.Soci.Build;

/// <summary>What indexing a layer produced besides its TOC.</summary>
internal sealed record LayerIndex(long CompressedSize, CompressionInfo CompressionInfo);
