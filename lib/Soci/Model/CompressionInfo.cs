namespace PluggableSnapshotter.Soci;

/// <summary>How a layer is compressed and where its spans are (the flatbuffers table CompressionInfo).</summary>
public sealed record CompressionInfo
{
    public CompressionAlgorithm Algorithm { get; init; } = CompressionAlgorithm.Gzip;
    public required int MaxSpanId { get; init; }

    /// <summary>"sha256:&lt;hex&gt;" of each span's compressed bytes; MaxSpanId + 1 of them.</summary>
    public required IReadOnlyList<string> SpanDigests { get; init; }

    /// <summary>The gzip checkpoint blob, or a flatbuffer TarZinfo for uncompressed layers.</summary>
    public required byte[] Checkpoints { get; init; }
}
