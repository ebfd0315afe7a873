using PluggableSnapshotter.Soci.Gzip;
using static PluggableSnapshotter.Soci.Gzip.ZlibNative;

namespace PluggableSnapshotter.Soci.Access;

/// <summary>
/// Decompresses one gzip span from its checkpoint: raw inflate, the leftover bits of the byte before In primed,
/// the 32 KiB window set as dictionary, then the span's bytes (soci-formats.md, "Resuming at point i").
/// A span may run across the end of a gzip member into the next one (pigz output); inflate then restarts
/// after the member's trailer and the next header.
/// </summary>
internal static class SpanInflater
{
    /// <summary>
    /// Inflates <paramref name="spanBytes"/> (compressed range [SpanStart, end)) into <paramref name="output"/>, which
    /// is the span's uncompressed bytes or a prefix of them.
    /// </summary>
    public static void Inflate(GzipCheckpoint point, ReadOnlySpan<byte> spanBytes, Span<byte> output, int spanId)
    {
        ReadOnlySpan<byte> input = spanBytes;
        var inflater = new ZlibInflater(ZlibInflater.RawWindowBits);
        try
        {
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
                    inflater.Dispose();
                    inflater = StartNextMember(ref input, spanId);
                    continue;
                }
                if (consumed == 0 && produced == 0 && !output.IsEmpty)
                {
                    throw new InvalidDataException($"gzip span {spanId} runs out of compressed data {output.Length} bytes early");
                }
                if (rc is not (Ok or StreamEnd or BufError))
                {
                    throw new InvalidDataException($"gzip span {spanId} does not inflate: {inflater.LastMessage ?? $"zlib code {rc}"}");
                }
            }
        }
        finally
        {
            inflater.Dispose();
        }
    }

    private static ZlibInflater StartNextMember(ref ReadOnlySpan<byte> input, int spanId)
    {
        if (input.Length < GzipMemberHeader.TrailerSize)
        {
            throw new InvalidDataException($"gzip span {spanId} ends before the zTOC says it does");
        }
        input = input[GzipMemberHeader.TrailerSize..];
        input = input[GzipMemberHeader.Length(input)..];
        return new ZlibInflater(ZlibInflater.RawWindowBits);
    }
}
