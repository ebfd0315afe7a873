namespace PluggableSnapshotter.Registry;

/// <summary>How a layer blob is compressed (the suffix of its OCI media type: none, <c>+gzip</c>, <c>+zstd</c>).</summary>
public enum LayerCompression
{
    /// <summary>A plain tar.</summary>
    Uncompressed,

    /// <summary>gzip (RFC 1952), possibly several members.</summary>
    Gzip,

    /// <summary>Zstandard (RFC 8878).</summary>
    Zstd,
}
