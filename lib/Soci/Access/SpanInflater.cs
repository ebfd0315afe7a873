using PluggableSnapshotter.Soci.Gzip;
using static PluggableSnapshotter.Soci.Gzip.ZlibNative;

namespace PluggableSnapshotter.Soci.Access;

/// <summary>
/// Decompresses one gzip span from its checkpoint: raw inflate, the leftover bits of the byte before In primed,
/// the 32 KiB window set as dictionary, then the span's bytes (soci-formats.md, "Resuming at point i").
/// </summary>
internal static class SpanInflater
{
    /// <summary>
    /// Inflates <paramref name="spanBytes"/> (compressed range [SpanStart, end)) into <paramref name="output"/>, which
    /// must be exactly the span's uncompressed length (or a prefix of it).
    /// </summary>
    public static void Inflate(GzipCheckpoint point, ReadOnlySpan<byte> spanBytes, Span<byte> output, int spanId)
    {
        using var inflater = new ZlibInflater(ZlibInflater.RawWindowBits);
        ReadOnlySpan<byte> input = spanBytes;
        if (point.Bits != 0)
        {
            inflater.Prime(point.Bits, input[0] >> (8 - point.Bits));
            input = input[1..];
        }
        inflater.SetDictionary(point.Window.Span);
        while (!output.IsEmpty)
        {
            int rc = inflater.Inflate(input, output, NoFlush, out int consumed, out int produced);
            input = input[consumed..];
            output = output[produced..];
            if (rc == StreamEnd && !output.IsEmpty)
            {
                throw new InvalidDataException($"gzip span {spanId} ends {output.Length} bytes before the zTOC says it does");
            }
            if (rc is not (Ok or StreamEnd) && !(rc == BufError && output.IsEmpty))
            {
                throw new InvalidDataException($"gzip span {spanId} does not inflate: {inflater.LastMessage ?? $"zlib code {rc}"}");
            }
            if (consumed == 0 && produced == 0 && !output.IsEmpty)
            {
                throw new InvalidDataException($"gzip span {spanId} runs out of compressed data {output.Length} bytes early");
            }
        }
    }
}
