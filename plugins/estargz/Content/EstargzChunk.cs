namespace PluggableSnapshotter.Plugins.Estargz.Content;

/// <summary>
/// One chunk of one regular file: its bytes are [<see cref="ContentOffset"/>, + <see cref="Size"/>) of the layer's
/// content space, compressed in the gzip member at <see cref="BlobOffset"/> (after <see cref="InnerOffset"/>
/// decompressed bytes), which ends by <see cref="BlobEnd"/> (the next member's start, or the TOC's).
/// </summary>
internal readonly record struct EstargzChunk(long ContentOffset, long Size, long BlobOffset, long BlobEnd, long InnerOffset, string? Digest, string Path);
