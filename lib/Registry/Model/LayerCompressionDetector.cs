namespace PluggableSnapshotter.Registry;

/// <summary>Tells a layer's <see cref="LayerCompression"/> from its media type or, failing that, its first bytes.</summary>
public static class LayerCompressionDetector
{
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>
    /// The compression a layer media type names, or null when it names no tar layer (an artifact, an encrypted layer).
    /// The suffix decides, as containerd's diff service does: OCI's <c>.tar</c>, <c>.tar+gzip</c>, <c>.tar+zstd</c> (plain
    /// and non-distributable) and Docker's <c>.tar</c>, <c>.tar.gzip</c> (plain and foreign).
    /// </summary>
    public static LayerCompression? FromMediaType(string? mediaType) => mediaType switch
    {
        null => null,
        _ when mediaType.EndsWith(".tar+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal) => LayerCompression.Gzip,
        _ when mediaType.EndsWith(".tar+zstd", StringComparison.Ordinal) => LayerCompression.Zstd,
        _ when mediaType.EndsWith(".tar", StringComparison.Ordinal) => LayerCompression.Uncompressed,
        _ => null,
    };

    /// <summary>The compression the first bytes of a blob show (gzip 1f 8b, zstd 28 b5 2f fd, else a tar).</summary>
    public static LayerCompression FromMagic(ReadOnlySpan<byte> head) =>
        head.StartsWith(GzipMagic) ? LayerCompression.Gzip : head.StartsWith(ZstdMagic) ? LayerCompression.Zstd : LayerCompression.Uncompressed;
}
