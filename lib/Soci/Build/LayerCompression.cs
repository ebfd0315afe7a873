namespace PluggableSnapshotter.Soci;

/// <summary>How a layer blob is compressed, as far as zTOCs are concerned.</summary>
public enum LayerCompression
{
    Uncompressed,
    Gzip,
    Zstd,
}
