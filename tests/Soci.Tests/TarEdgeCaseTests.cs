using System.Buffers.Binary;
using PluggableSnapshotter.Soci.Gzip;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Archive shapes and blob layouts beyond the common case.</summary>
public class TarEdgeCaseTests(TestLayers layers) : IClassFixture<TestLayers>
{
    [Fact]
    public async Task Build_TarWithoutPaddingOrEndBlocks_EndsAfterLastData()
    {
        byte[] full = layers.Read("gnu.tar");
        Ztoc complete = await LayerFile.BuildAsync(full, LayerCompression.Uncompressed, 64 * 1024);
        FileMetadata last = complete.Files[^1];
        Assert.True(last.UncompressedSize % 512 != 0, "the last entry needs a partial block for this test");
        byte[] cut = full[..(int)(last.UncompressedOffset + last.UncompressedSize)];

        Ztoc ztoc = await LayerFile.BuildAsync(cut, LayerCompression.Uncompressed, 64 * 1024);

        Assert.Equal(cut.Length, ztoc.UncompressedArchiveSize);
        Assert.Equal(complete.Files.Select(f => (f.Name, f.UncompressedOffset)), ztoc.Files.Select(f => (f.Name, f.UncompressedOffset)));
        Assert.Equal(cut.Length, ZtocSerializer.Deserialize(ZtocSerializer.Serialize(ztoc)).UncompressedArchiveSize);
    }

    [Fact]
    public async Task Build_TarCutInsideData_RejectedNamingTheOffset()
    {
        byte[] full = layers.Read("gnu.tar");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LayerFile.BuildAsync(full[..700_000], LayerCompression.Uncompressed, 64 * 1024));
        Assert.Contains("ends inside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_GlobalPaxHeader_RejectedAsUnsupportedLikeSoci()
    {
        string dir = Path.Combine(layers.Root, "global-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "tree"));
        File.WriteAllText(Path.Combine(dir, "tree", "f"), "x");
        Tool.Run("tar", dir, "--format", "pax", "--pax-option=comment=global", "-C", Path.Combine(dir, "tree"), "-cf", Path.Combine(dir, "g.tar"), ".");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            LayerFile.BuildAsync(File.ReadAllBytes(Path.Combine(dir, "g.tar")), LayerCompression.Uncompressed, 64 * 1024));
        Assert.Contains("unsupported type 'g'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_BinaryXattrWithNewline_RecordedExactlyAsThePaxRecordHoldsIt()
    {
        // The reproduction: System.Formats.Tar refuses this record (a newline byte in the value); the shared reader keeps it.
        string dir = Path.Combine(layers.Root, "xattr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "tree"));
        File.WriteAllText(Path.Combine(dir, "tree", "f"), "x");
        Tool.Run("setfattr", dir, "-n", "user.bin", "-v", "0x000102030405060708090a0b0c0d0e0fff", Path.Combine(dir, "tree", "f"));
        Tool.Run("tar", dir, "--xattrs", "--xattrs-include=*", "--format=pax", "-C", Path.Combine(dir, "tree"), "-cf", Path.Combine(dir, "x.tar"), "./f");

        Ztoc ztoc = await LayerFile.BuildAsync(File.ReadAllBytes(Path.Combine(dir, "x.tar")), LayerCompression.Uncompressed, 64 * 1024);

        PaxRecord record = Assert.Single(ztoc.Files.Single(f => f.Name == "./f").PaxRecords, r => r.Key == "SCHILY.xattr.user.bin");
        Assert.Equal(Convert.FromHexString("000102030405060708090a0b0c0d0e0fff"), record.Value);
        Ztoc roundTripped = ZtocSerializer.Deserialize(ZtocSerializer.Serialize(ztoc));
        Assert.Equal(record.Value, roundTripped.Files.Single(f => f.Name == "./f").PaxRecords.Single(r => r.Key == "SCHILY.xattr.user.bin").Value);
    }

    [Fact]
    public async Task Build_CorruptGzip_RejectedWithOffset()
    {
        byte[] blob = layers.Read("pax.gzip-n.tar.gz");
        blob[blob.Length / 3] ^= 0xff;
        blob[(blob.Length / 3) + 1] ^= 0xff;

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LayerFile.BuildAsync(blob, LayerCompression.Gzip, 64 * 1024));
        Assert.Contains("gzip", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFile_OlderV1CheckpointLayout_ExtractsEveryFile()
    {
        byte[] blob = File.ReadAllBytes(Vectors.PathOf("special-layer.tar.gz"));
        Ztoc current = ZtocSerializer.Deserialize(File.ReadAllBytes(Vectors.PathOf("special-layer.span-64k.ztoc")));
        byte[] checkpoints = current.CompressionInfo.Checkpoints;
        // v1 omits point 0 (always in=10, out=0, no bits, an empty window for gzip -n layers) but counts it.
        byte[] v1 = [.. checkpoints.AsSpan(0, GzipCheckpointTable.HeaderSize), .. checkpoints.AsSpan(GzipCheckpointTable.HeaderSize + GzipCheckpointTable.RecordSize)];
        Assert.Equal(10, BinaryPrimitives.ReadInt64LittleEndian(checkpoints.AsSpan(GzipCheckpointTable.HeaderSize)));

        Ztoc older = ZtocSerializer.Deserialize(ZtocSerializer.Serialize(current with { CompressionInfo = current.CompressionInfo with { Checkpoints = v1 } }));
        var reader = new ZtocSpanReader(older, LayerFile.RangeReader(blob));
        Dictionary<string, byte[]> expected = TarContents.RegularFiles(blob, LayerCompression.Gzip);

        Assert.True(GzipCheckpointTable.Parse(v1, blob.Length).IsV1);
        foreach (FileMetadata f in older.Files.Where(f => f.Type == TarEntryTypes.Regular))
        {
            Assert.Equal(expected[f.Name], await reader.ReadFileAsync(f, CancellationToken.None));
        }
    }

    [Fact]
    public async Task ReadAsync_RangeAcrossSpans_EqualsTarStream()
    {
        byte[] tar = layers.Read("pax.tar");
        byte[] blob = layers.Read("pax.gzip-name.tar.gz");
        Ztoc ztoc = await LayerFile.BuildAsync(blob, LayerCompression.Gzip, 64 * 1024);
        var reader = new ZtocSpanReader(ztoc, LayerFile.RangeReader(blob));
        var buffer = new byte[300_000];

        await reader.ReadAsync(1_000_001, buffer, CancellationToken.None);

        Assert.Equal(tar.AsSpan(1_000_001, buffer.Length).ToArray(), buffer);
    }
}
