using System.Buffers;
using ZstdSharp;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// Streams bytes out of zstd frames with a reusable <see cref="Decompressor"/>: a chunk's frame holds the chunk (after
/// <c>innerOffset</c> bytes) and then the tar headers of the next entries, so only what is asked for is decompressed.
/// Skippable frames and frames that follow are read through as zstd's streaming API does.
/// </summary>
internal static class ZstdFrames
{
    /// <summary>
    /// Decompresses <paramref name="source"/> from its start, drops the first <paramref name="skip"/> bytes and fills all
    /// of <paramref name="target"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The frames are corrupt or end before <paramref name="target"/> is full.</exception>
    public static void Read(Decompressor decompressor, ReadOnlySpan<byte> source, long skip, Span<byte> target)
    {
        decompressor.ResetStream();
        var scratch = skip > 0 ? ArrayPool<byte>.Shared.Rent(16 * 1024) : null;
        try
        {
            while (skip > 0 || !target.IsEmpty)
            {
                var destination = skip > 0 ? scratch.AsSpan(0, (int)Math.Min(skip, scratch!.Length)) : target;
                OperationStatus status;
                int consumed, written;
                try
                {
                    status = decompressor.UnwrapStream(source, destination, out consumed, out written);
                }
                catch (ZstdException e)
                {
                    throw new InvalidDataException($"corrupt zstd frame: {e.Message}", e);
                }
                source = source[consumed..];
                if (skip > 0) skip -= written;
                else target = target[written..];
                if (consumed == 0 && written == 0 && (status != OperationStatus.DestinationTooSmall || source.IsEmpty))
                {
                    throw new InvalidDataException($"the zstd frames end {skip + target.Length} bytes early");
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
