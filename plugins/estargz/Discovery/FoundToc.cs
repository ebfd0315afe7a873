using PluggableSnapshotter.Plugins.Estargz.Format;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// An eStargz or zstd:chunked layer's TOC as fetched: its JSON (kept in the store), its digest, the parse, where the
/// layer's data ends in the blob (the TOC's member or skippable frame starts there) and how chunks are compressed.
/// </summary>
internal sealed record FoundToc(byte[] Json, string Digest, Toc Toc, long DataEnd, EstargzCompression Compression);
