using System.Buffers.Binary;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Corrupt or hostile zTOCs are refused with an InvalidDataException that says what is wrong.</summary>
public class CorruptZtocTests
{
    private static readonly byte[] Vector = File.ReadAllBytes(Vectors.PathOf("special-layer.span-64k.ztoc"));

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(200_000)]
    [InlineData(232_951)]
    public void Deserialize_Truncated_Rejected(int length)
    {
        Assert.Throws<InvalidDataException>(() => ZtocSerializer.Deserialize(Vector[..length]));
    }

    [Fact]
    public void Deserialize_FileOffsetPastEnd_RejectedNamingTheEntry()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        FileMetadata[] files = [.. ztoc.Files];
        files[^1] = files[^1] with { UncompressedOffset = ztoc.UncompressedArchiveSize + 512 };

        var e = Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { Files = files }));
        Assert.Contains(files[^1].Name, e.Message, StringComparison.Ordinal);
        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_SizePastEnd_Rejected()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        FileMetadata[] files = [.. ztoc.Files];
        files[^1] = files[^1] with { UncompressedSize = long.MaxValue };

        Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { Files = files }));
    }

    [Fact]
    public void Deserialize_OverlappingEntries_Rejected()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        FileMetadata[] files = [.. ztoc.Files];
        files[2] = files[2] with { UncompressedSize = files[3].UncompressedOffset - files[2].UncompressedOffset + 1 };

        var e = Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { Files = files }));
        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(6)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public void Deserialize_CheckpointCountLies_RejectedWithoutAllocating(int statedCount)
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        byte[] blob = (byte[])ztoc.CompressionInfo.Checkpoints.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(blob, statedCount);

        var e = Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { CompressionInfo = ztoc.CompressionInfo with { Checkpoints = blob } }));
        Assert.Contains("checkpoint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_MaxSpanIdDisagrees_Rejected()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        CompressionInfo info = ztoc.CompressionInfo with
        {
            MaxSpanId = ztoc.CompressionInfo.MaxSpanId + 1,
            SpanDigests = [.. ztoc.CompressionInfo.SpanDigests, ztoc.CompressionInfo.SpanDigests[0]],
        };

        var e = Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { CompressionInfo = info }));
        Assert.Contains("max_span_id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_CheckpointsOutOfOrder_Rejected()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        byte[] blob = (byte[])ztoc.CompressionInfo.Checkpoints.Clone();
        int second = Gzip.GzipCheckpointTable.HeaderSize + Gzip.GzipCheckpointTable.RecordSize;
        BinaryPrimitives.WriteInt64LittleEndian(blob.AsSpan(second), 5);

        Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { CompressionInfo = ztoc.CompressionInfo with { Checkpoints = blob } }));
    }

    [Fact]
    public void Deserialize_UnknownVersion_Rejected()
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);

        var e = Assert.Throws<InvalidDataException>(() => Reserialize(ztoc with { Version = "1.0" }));
        Assert.Contains("version", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_RandomByteFlips_OnlyInvalidDataOrValid()
    {
        var random = new Random(42);
        for (int i = 0; i < 2000; i++)
        {
            byte[] copy = (byte[])Vector.Clone();
            for (int j = 0; j < 4; j++)
            {
                // Most flips go into the first 4 KiB, where the tables and offsets are.
                int at = random.Next(j == 0 ? copy.Length : 4096);
                copy[at] = (byte)random.Next(256);
            }
            try
            {
                ZtocSerializer.Deserialize(copy);
            }
            catch (InvalidDataException)
            {
            }
        }
        Assert.NotNull(ZtocSerializer.Deserialize(Vector));
    }

    [Fact]
    public async Task ReadFile_TamperedLayer_SpanDigestMismatch()
    {
        byte[] blob = File.ReadAllBytes(Vectors.PathOf("special-layer.tar.gz"));
        blob[blob.Length / 2] ^= 0x55;
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        var reader = new ZtocSpanReader(ztoc, LayerFile.RangeReader(blob));
        FileMetadata big = Assert.Single(ztoc.Files, f => f.Name == "dir/big.bin");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadFileAsync(big, CancellationToken.None));
        Assert.Contains("digest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyTarHeader_EntryMovedIntoData_Rejected()
    {
        byte[] blob = File.ReadAllBytes(Vectors.PathOf("special-layer.tar.gz"));
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        FileMetadata[] files = [.. ztoc.Files];
        files[^1] = files[^1] with { UncompressedOffset = files[^1].UncompressedOffset + 1024 };
        Ztoc moved = Reserialize(ztoc with { Files = files });
        var reader = new ZtocSpanReader(moved, LayerFile.RangeReader(blob));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => reader.VerifyTarHeaderAsync(moved.Files[^1], CancellationToken.None));
        Assert.Contains("tar header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadSpan_HugeUncompressedSpanClaimed_RejectedWithoutAllocating()
    {
        byte[] blob = File.ReadAllBytes(Vectors.PathOf("special-layer.tar.gz"));
        Ztoc ztoc = ZtocSerializer.Deserialize(Vector);
        byte[] checkpoints = (byte[])ztoc.CompressionInfo.Checkpoints.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(checkpoints.AsSpan(4), long.MaxValue / 2);
        int last = Gzip.GzipCheckpointTable.HeaderSize + (ztoc.CompressionInfo.MaxSpanId * Gzip.GzipCheckpointTable.RecordSize);
        BinaryPrimitives.WriteInt64LittleEndian(checkpoints.AsSpan(last + 8), 1L << 40);
        Ztoc hostile = Reserialize(ztoc with { CompressionInfo = ztoc.CompressionInfo with { Checkpoints = checkpoints } });
        var reader = new ZtocSpanReader(hostile, LayerFile.RangeReader(blob));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadSpanAsync(hostile.CompressionInfo.MaxSpanId - 1, CancellationToken.None));
        Assert.Contains("uncompressed bytes", e.Message, StringComparison.Ordinal);
    }

    private static Ztoc Reserialize(Ztoc ztoc) => ZtocSerializer.Deserialize(ZtocSerializer.Serialize(ztoc));
}
