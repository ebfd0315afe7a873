using System.Globalization;
using System.Text;

namespace PluggableSnapshotter.Registry.Blobs;

/// <summary>Splits a <c>multipart/byteranges</c> body (RFC 9110 §14.6) into the requested ranges.</summary>
internal static class MultipartRanges
{
    /// <summary>
    /// Returns the bytes of each of <paramref name="ranges"/>, taken from the parts of <paramref name="body"/>.
    /// A part may cover several requested ranges (servers may coalesce); a range no part covers is an error.
    /// </summary>
    public static byte[][] Split(ReadOnlySpan<byte> body, string boundary, IReadOnlyList<ByteRange> ranges)
    {
        var parts = new List<(long Start, byte[] Data)>();
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var position = body.IndexOf(delimiter);
        if (position < 0) throw new InvalidDataException("multipart/byteranges body has no boundary");
        while (true)
        {
            position += delimiter.Length;
            if (body[position..].StartsWith("--"u8)) break; // closing delimiter
            var headersEnd = body[position..].IndexOf("\r\n\r\n"u8);
            if (headersEnd < 0) throw new InvalidDataException("multipart/byteranges part has no header end");
            var headers = Encoding.ASCII.GetString(body.Slice(position, headersEnd));
            var (start, end) = ParseContentRange(headers);
            var dataStart = position + headersEnd + 4;
            var length = checked((int)(end - start + 1));
            if (dataStart + length > body.Length) throw new InvalidDataException("multipart/byteranges part is shorter than its Content-Range");
            parts.Add((start, body.Slice(dataStart, length).ToArray()));
            var next = body[(dataStart + length)..].IndexOf(delimiter);
            if (next < 0) throw new InvalidDataException("multipart/byteranges body is not closed");
            position = dataStart + length + next;
        }

        var result = new byte[ranges.Count][];
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var part = parts.FirstOrDefault(p => p.Start <= range.Offset && p.Start + p.Data.Length >= range.End);
            if (part.Data is null) throw new InvalidDataException($"multipart/byteranges answer does not cover bytes {range}");
            result[i] = part.Data.AsSpan(checked((int)(range.Offset - part.Start)), checked((int)range.Length)).ToArray();
        }

        return result;
    }

    private static (long Start, long End) ParseContentRange(string headers)
    {
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon < 0 || !line[..colon].Trim().Equals("Content-Range", StringComparison.OrdinalIgnoreCase)) continue;
            var value = line[(colon + 1)..].Trim();
            if (!value.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase)) break;
            var span = value[6..];
            var slash = span.IndexOf('/');
            var dash = span.IndexOf('-');
            if (dash < 0 || (slash >= 0 && slash < dash)) break;
            var start = long.Parse(span[..dash], CultureInfo.InvariantCulture);
            var end = long.Parse(slash < 0 ? span[(dash + 1)..] : span[(dash + 1)..slash], CultureInfo.InvariantCulture);
            if (end < start) break;
            return (start, end);
        }

        throw new InvalidDataException("multipart/byteranges part has no valid Content-Range");
    }
}
