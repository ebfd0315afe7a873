namespace PluggableSnapshotter.Plugins.Estargz.Content;

/// <summary>
/// Consecutive chunks fetched with one range request and cached together (the SOCI span of eStargz): small files are
/// each a gzip member of their own, and one request per member would cost a round trip per file. A group covers
/// [<see cref="BlobStart"/>, <see cref="BlobEnd"/>) of the blob and [<see cref="ContentStart"/>, <see cref="ContentEnd"/>)
/// of the content space; each of its chunks is still checked against its own digest.
/// </summary>
internal readonly record struct ReadGroup(int FirstChunk, int ChunkCount, long BlobStart, long BlobEnd, long ContentStart, long ContentEnd);
