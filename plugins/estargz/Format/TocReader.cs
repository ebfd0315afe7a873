using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// Reads the TOC from its place in the blob: a gzip member holding a tar with the one entry <c>stargz.index.json</c>. The
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

    /// <summary>Checks <paramref name="json"/> against <paramref name="expectedDigest"/> (when given) and parses it.</summary>
    /// <exception cref="InvalidDataException">The digest differs, or the JSON is not a TOC.</exception>
    public static Toc Parse(byte[] json, string? expectedDigest)
    {
        if (expectedDigest is not null)
        {
            if (!OciDigest.TryParse(expectedDigest, out var expected))
                throw new InvalidDataException($"the TOC digest '{expectedDigest}' is not a digest");
            var actual = OciDigest.Compute(json);
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
}
