using System.IO.Compression;
using ZstdSharp;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>Turns a layer blob into its tar stream, choosing the codec from the media type or, failing that, the magic bytes.</summary>
public static class LayerDecompressor
{
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>The compression a layer media type names, or null when it names none we know (then the bytes decide).</summary>
    public static LayerCompression? FromMediaType(string? mediaType) => mediaType switch
    {
        null => null,
        _ when mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal) => LayerCompression.Gzip,
        _ when mediaType.EndsWith("+zstd", StringComparison.Ordinal) => LayerCompression.Zstd,
        _ when mediaType.EndsWith(".tar", StringComparison.Ordinal) => LayerCompression.None,
        _ => null,
    };

    /// <summary>The compression the first bytes of a blob show.</summary>
    public static LayerCompression Sniff(ReadOnlySpan<byte> head) =>
        head.StartsWith(GzipMagic) ? LayerCompression.Gzip : head.StartsWith(ZstdMagic) ? LayerCompression.Zstd : LayerCompression.None;

    /// <summary>
    /// Opens the tar stream of <paramref name="blob"/>. The returned stream owns <paramref name="blob"/> unless
    /// <paramref name="leaveOpen"/> is set.
    /// </summary>
    public static async Task<(Stream Tar, LayerCompression Compression)> OpenAsync(
        Stream blob, string? mediaType, CancellationToken cancellationToken, bool leaveOpen = false)
    {
        var compression = FromMediaType(mediaType);
        if (compression is null)
        {
            var head = new byte[4];
            var read = await blob.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            compression = Sniff(head.AsSpan(0, read));
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
