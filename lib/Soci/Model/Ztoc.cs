namespace PluggableSnapshotter.Soci;

/// <summary>
/// A zTOC: the table of contents of one layer plus what is needed to decompress any span of it
/// (soci-formats.md, "zTOC"). Field for field what SOCI's flatbuffer holds.
/// </summary>
public sealed record Ztoc
{
    /// <summary>The only zTOC version SOCI writes and we read.</summary>
    public const string CurrentVersion = "0.9";

    public required string Version { get; init; }
    public required string BuildToolIdentifier { get; init; }

    /// <summary>Size of the layer blob as stored (compressed bytes, or the tar size when uncompressed).</summary>
    public required long CompressedArchiveSize { get; init; }

    /// <summary>Bytes of tar stream up to and including its end-of-archive blocks.</summary>
    public required long UncompressedArchiveSize { get; init; }

    /// <summary>Every tar entry in archive order.</summary>
    public required IReadOnlyList<FileMetadata> Files { get; init; }

    public required CompressionInfo CompressionInfo { get; init; }
}
