namespace PluggableSnapshotter.Soci;

/// <summary>One tar entry as a zTOC records it (the flatbuffers table FileMetadata).</summary>
public sealed record FileMetadata
{
    /// <summary>The tar name as written, after PAX and GNU long-name records (directories end with '/').</summary>
    public required string Name { get; init; }

    /// <summary>One of <see cref="TarEntryTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>Where the entry's data starts in the tar stream.</summary>
    public long UncompressedOffset { get; init; }

    /// <summary>The size the header states (header-only entries keep it, as Go's tar reader does).</summary>
    public long UncompressedSize { get; init; }

    public string LinkName { get; init; } = "";

    /// <summary>Tar mode bits as stored, including setuid/setgid/sticky.</summary>
    public long Mode { get; init; }

    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public string Uname { get; init; } = "";
    public string Gname { get; init; } = "";

    /// <summary>RFC 3339 with nanoseconds and trailing zeros trimmed, as Go's time.MarshalText writes it.</summary>
    public string ModTime { get; init; } = "";

    public long DevMajor { get; init; }
    public long DevMinor { get; init; }

    /// <summary>Every PAX record of the entry, keys sorted ordinally.</summary>
    public IReadOnlyList<PaxRecord> PaxRecords { get; init; } = [];

    /// <summary>Where the entry's tar header starts; derived, not stored (set by the reader/builder).</summary>
    public long TarHeaderOffset { get; init; }
}
