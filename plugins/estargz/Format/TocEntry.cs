using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// One entry of an eStargz TOC (<c>stargz.index.json</c>). A regular file's first chunk is its <c>reg</c> entry; further
/// chunks follow as <c>chunk</c> entries with the same name. <see cref="Offset"/> is where the gzip member holding the
/// chunk's bytes starts in the blob; a <see cref="ChunkSize"/> of 0 means "to the end of the file".
/// </summary>
internal sealed record TocEntry
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";

    /// <summary><c>dir</c>, <c>reg</c>, <c>symlink</c>, <c>hardlink</c>, <c>char</c>, <c>block</c>, <c>fifo</c> or <c>chunk</c>.</summary>
    [JsonPropertyName("type")] public string Type { get; init; } = "";

    [JsonPropertyName("size")] public long Size { get; init; }

    /// <summary>RFC 3339, UTC; empty for none.</summary>
    [JsonPropertyName("modtime")] public string? ModTime { get; init; }

    [JsonPropertyName("linkName")] public string? LinkName { get; init; }

    /// <summary>The tar header's mode.</summary>
    [JsonPropertyName("mode")] public long Mode { get; init; }

    [JsonPropertyName("uid")] public long Uid { get; init; }
    [JsonPropertyName("gid")] public long Gid { get; init; }
    [JsonPropertyName("offset")] public long Offset { get; init; }

    /// <summary>Where the chunk starts in the decompressed member at <see cref="Offset"/> (several chunks may share one).</summary>
    [JsonPropertyName("innerOffset")] public long InnerOffset { get; init; }

    [JsonPropertyName("devMajor")] public long DevMajor { get; init; }
    [JsonPropertyName("devMinor")] public long DevMinor { get; init; }

    /// <summary>Extended attributes; values base64 in JSON (Go's <c>[]byte</c>).</summary>
    [JsonPropertyName("xattrs")] public Dictionary<string, byte[]>? Xattrs { get; init; }

    /// <summary>The whole file's digest (regular files).</summary>
    [JsonPropertyName("digest")] public string? Digest { get; init; }

    [JsonPropertyName("chunkOffset")] public long ChunkOffset { get; init; }
    [JsonPropertyName("chunkSize")] public long ChunkSize { get; init; }

    /// <summary>The digest of the chunk's uncompressed bytes.</summary>
    [JsonPropertyName("chunkDigest")] public string? ChunkDigest { get; init; }
}
