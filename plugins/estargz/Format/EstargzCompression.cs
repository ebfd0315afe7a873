namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>How a layer's chunks and TOC are compressed: eStargz (gzip members) or zstd:chunked (zstd frames).</summary>
internal enum EstargzCompression
{
    /// <summary>eStargz: each chunk a gzip member, the TOC a gzip'd tar, a 51-byte gzip footer (47 for legacy stargz).</summary>
    Gzip,

    /// <summary>zstd:chunked: each chunk a zstd frame, the TOC a zstd-compressed JSON in a skippable frame, a 48-byte skippable footer.</summary>
    Zstd,
}
