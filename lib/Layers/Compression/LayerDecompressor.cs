using System.IO.Compression;
using PluggableSnapshotter.Registry;
using ZstdSharp;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>Turns a layer blob into its tar stream, choosing the codec from the media type or, failing that, the magic bytes.</summary>
public static class LayerDecompressor
{
    /// <summary>
    /// Opens the tar stream of <paramref name="blob"/>. The returned stream owns <paramref name="blob"/> unless
    /// <paramref name="leaveOpen"/> is set.
    /// </summary>
    public static async Task<(Stream Tar, LayerCompression Compression)> OpenAsync(
        Stream blob, string? mediaType, CancellationToken cancellationToken, bool leaveOpen = false)
    {
        var compression = LayerCompressionDetector.FromMediaType(mediaType);
        if (compression is null)
        {
            var head = new byte[4];
            var read = await blob.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            compression = LayerCompressionDetector.FromMagic(head.AsSpan(0, read));
            blob = new PrefixedStream(head.AsMemory(0, read), blob, leaveOpen);
            leaveOpen = false; // the prefixed stream now decides
        }

        Stream tar = compression switch
        {
            LayerCompression.Gzip => new GZipStream(blob, CompressionMode.Decompress, leaveOpen),
            LayerCompression.Zstd => new DecompressionStream(blob, leaveOpen: leaveOpen),
            _ when leaveOpen => new PrefixedStream(ReadOnlyMemory<byte>.Empty, blob, leaveOpen: true),
            _ => blob,
        };
        return (tar, compression.Value);
    }
}
