using System.Text.Json;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Debian's flatc, given the schema, reads our zTOCs (and SOCI's) the way our reader does.</summary>
public class FlatcDumpTests
{
    private const string Schema = "/work/shared/spec/ztoc.fbs";

    [Theory]
    [MemberData(nameof(Vectors.All), MemberType = typeof(Vectors))]
    public async Task FlatcJson_OurZtoc_MatchesOurReader(string ztocName, string layerName, long span, LayerCompression compression)
    {
        byte[] blob = await File.ReadAllBytesAsync(Vectors.PathOf(layerName));
        byte[] ours = ZtocSerializer.Serialize(await LayerFile.BuildAsync(blob, compression, span, ztocName));

        AssertFlatcAgrees(ours);
    }

    [Theory]
    [MemberData(nameof(Vectors.All), MemberType = typeof(Vectors))]
    public async Task FlatcJson_SociVector_MatchesOurReader(string ztocName, string layerName, long span, LayerCompression compression)
    {
        Assert.NotEmpty(layerName);
        Assert.True(span > 0 && Enum.IsDefined(compression));
        AssertFlatcAgrees(await File.ReadAllBytesAsync(Vectors.PathOf(ztocName)));
    }

    private static void AssertFlatcAgrees(byte[] ztocBytes)
    {
        string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "flatc-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "z.ztoc"), ztocBytes);
            Tool.Run("flatc", dir, "--json", "--raw-binary", "--strict-json", "-o", dir, Schema, "--", "z.ztoc");
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "z.json")));
            Compare(doc.RootElement, ZtocSerializer.Deserialize(ztocBytes));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Compare(JsonElement root, Ztoc ztoc)
    {
        Assert.Equal(root.GetProperty("version").GetString(), ztoc.Version);
        Assert.Equal(root.GetProperty("build_tool_identifier").GetString(), ztoc.BuildToolIdentifier);
        Assert.Equal(Long(root, "compressed_archive_size"), ztoc.CompressedArchiveSize);
        Assert.Equal(Long(root, "uncompressed_archive_size"), ztoc.UncompressedArchiveSize);

        JsonElement info = root.GetProperty("compression_info");
        string algorithm = info.TryGetProperty("compression_algorithm", out JsonElement a) ? a.GetString()! : "Gzip";
        Assert.Equal(algorithm, ztoc.CompressionInfo.Algorithm.ToString());
        Assert.Equal(Long(info, "max_span_id"), ztoc.CompressionInfo.MaxSpanId);
        Assert.Equal(info.GetProperty("span_digests").EnumerateArray().Select(d => d.GetString()), ztoc.CompressionInfo.SpanDigests);
        Assert.Equal(info.GetProperty("checkpoints").EnumerateArray().Select(b => b.GetByte()).ToArray(), ztoc.CompressionInfo.Checkpoints);

        // Our reader returns entries sorted by offset; SOCI and our builder write them in that order too.
        JsonElement[] metadata = [.. root.GetProperty("toc").GetProperty("metadata").EnumerateArray()];
        Assert.Equal(metadata.Length, ztoc.Files.Count);
        for (int i = 0; i < metadata.Length; i++)
        {
            JsonElement m = metadata[i];
            FileMetadata f = ztoc.Files[i];
            Assert.Equal(m.GetProperty("name").GetString(), f.Name);
            Assert.Equal(m.GetProperty("type").GetString(), f.Type);
            Assert.Equal(Long(m, "uncompressed_offset"), f.UncompressedOffset);
            Assert.Equal(Long(m, "uncompressed_size"), f.UncompressedSize);
            Assert.Equal(m.GetProperty("linkname").GetString(), f.LinkName);
            Assert.Equal(Long(m, "mode"), f.Mode);
            Assert.Equal(Long(m, "uid"), f.Uid);
            Assert.Equal(Long(m, "gid"), f.Gid);
            Assert.Equal(m.GetProperty("uname").GetString(), f.Uname);
            Assert.Equal(m.GetProperty("gname").GetString(), f.Gname);
            Assert.Equal(m.GetProperty("mod_time").GetString(), f.ModTime);
            Assert.Equal(Long(m, "devmajor"), f.DevMajor);
            Assert.Equal(Long(m, "devminor"), f.DevMinor);
            Assert.Equal(
                m.GetProperty("xattrs").EnumerateArray().Select(x => $"{x.GetProperty("key").GetString()}={x.GetProperty("value").GetString()}"),
                f.PaxRecords.Select(r => r.ToString()));
        }
    }

    /// <summary>flatc leaves out scalars equal to their default (0).</summary>
    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.GetInt64() : 0;
}
