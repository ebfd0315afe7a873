namespace PluggableSnapshotter.Soci;

/// <summary>Maps OCI/Docker layer media types and magic bytes to <see cref="LayerCompression"/>.</summary>
public static class LayerCompressionDetector
{
    /// <summary>The compression a layer media type names, or null for media types that are not layers.</summary>
    public static LayerCompression? FromMediaType(string mediaType) => mediaType switch
    {
        "application/vnd.oci.image.layer.v1.tar" or "application/vnd.oci.image.layer.nondistributable.v1.tar"
            or "application/vnd.docker.image.rootfs.diff.tar" => LayerCompression.Uncompressed,
        "application/vnd.oci.image.layer.v1.tar+gzip" or "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            or "application/vnd.docker.image.rootfs.diff.tar.gzip"
            or "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => LayerCompression.Gzip,
        "application/vnd.oci.image.layer.v1.tar+zstd" or "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" =>
            LayerCompression.Zstd,
        _ => null,
    };

    /// <summary>Guesses from the first bytes of a blob (gzip 1f 8b, zstd 28 b5 2f fd, else tar).</summary>
    public static LayerCompression FromMagic(ReadOnlySpan<byte> head) =>
        head.StartsWith(new byte[] { 0x1f, 0x8b }) ? LayerCompression.Gzip
        : head.StartsWith(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }) ? LayerCompression.Zstd
        : LayerCompression.Uncompressed;
}
