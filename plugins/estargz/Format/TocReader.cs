using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using PluggableSnapshotter.Registry;
using ZstdSharp;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// Reads the TOC from its place in the blob: in eStargz a gzip member holding a tar with the one entry
/// <c>stargz.index.json</c>, in zstd:chunked the JSON itself compressed with zstd (in a skippable frame). The
/// JSON's digest is what the layer's <c>containerd.io/snapshot/stargz/toc.digest</c> annotation names; a TOC that does
/// not match is refused before anything in it is used (its chunk digests are what every read is checked against).
/// </summary>
internal static class TocReader
{
    public const string TocName = "stargz.index.json";

    /// <summary>No TOC this large is plausible (a few hundred bytes per entry).</summary>
    public const int MaxTocBytes = 256 * 1024 * 1024;

    /// <summary>The TOC's JSON bytes from its compressed member.</summary>
    /// <exception cref="InvalidDataException">The member is not a gzip'd tar holding <c>stargz.index.json</c>.</exception>
    public static byte[] Extract(ReadOnlyMemory<byte> member)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(member.ToArray(), writable: false), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var entry = tar.GetNextEntry(copyData: false) ?? throw new InvalidDataException("the TOC member holds no tar entry");
            if (EstargzLayout.RootName(entry.Name) != TocName) throw new InvalidDataException($"the TOC member holds '{entry.Name}', not {TocName}");
            if (entry.Length > MaxTocBytes) throw new InvalidDataException($"the TOC is {entry.Length} bytes, more than {MaxTocBytes}");
            var json = new byte[entry.Length];
            entry.DataStream?.ReadExactly(json);
            return json;
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"the TOC member is not a gzip'd tar: {e.Message}", e);
        }
    }

    /// <summary>The TOC's JSON bytes from a zstd:chunked blob's TOC frame (<paramref name="rawLength"/> bytes, as its footer says).</summary>
    /// <exception cref="InvalidDataException">The frame does not decompress to exactly <paramref name="rawLength"/> bytes.</exception>
    public static byte[] ExtractZstd(ReadOnlySpan<byte> compressed, long rawLength)
    {
        if (rawLength is <= 0 or > MaxTocBytes) throw new InvalidDataException($"the TOC is {rawLength} bytes, not between 1 and {MaxTocBytes}");
        var json = new byte[rawLength];
        using var decompressor = new Decompressor();
        ZstdFrames.Read(decompressor, compressed, 0, json);
        // One more byte would mean the footer understates the TOC: refuse rather than parse a truncated JSON.
        Span<byte> extra = stackalloc byte[1];
        if (TryReadMore(decompressor, compressed, json.Length, extra))
            throw new InvalidDataException($"the TOC frame holds more than the {rawLength} bytes its footer gives");
        return json;
    }

    /// <summary>Checks <paramref name="json"/> against <paramref name="expectedDigest"/> (when given) and parses it.</summary>
    /// <exception cref="InvalidDataException">The digest differs, or the JSON is not a TOC.</exception>
    public static Toc Parse(byte[] json, string? expectedDigest)
    {
        if (expectedDigest is not null)
        {
            if (!OciDigest.TryParse(expectedDigest, out var expected))
                throw new InvalidDataException($"the TOC digest '{expectedDigest}' is not a digest");
            var actual = OciDigest.Compute(expected.Algorithm, json); // sha512 as well: OCI allows either
            if (actual != expected) throw new InvalidDataException($"the TOC's digest is {actual}, not {expectedDigest} as the layer's annotation says");
        }
        try
        {
            var toc = JsonSerializer.Deserialize(json, TocJsonContext.Default.Toc) ?? throw new InvalidDataException("the TOC is null");
            if (toc.Version != 1) throw new InvalidDataException($"the TOC has version {toc.Version}; only 1 is known");
            return toc;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the TOC is not valid JSON: {e.Message}", e);
        }
    }

    private static bool TryReadMore(Decompressor decompressor, ReadOnlySpan<byte> compressed, long skip, Span<byte> extra)
    {
        try
        {
            ZstdFrames.Read(decompressor, compressed, skip, extra);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
