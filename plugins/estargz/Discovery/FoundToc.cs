using PluggableSnapshotter.Plugins.Estargz.Format;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>An eStargz layer's TOC as fetched: its JSON (kept in the store), its digest, the parse, and where it starts in the blob.</summary>
internal sealed record FoundToc(byte[] Json, string Digest, Toc Toc, long TocOffset);
