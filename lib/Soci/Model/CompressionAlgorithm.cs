namespace PluggableSnapshotter.Soci;

/// <summary>The zTOC schema's CompressionAlgorithm enum (a byte; Gzip is the default).</summary>
public enum CompressionAlgorithm : sbyte
{
    Gzip = 1,
    Uncompressed = 2,
}
