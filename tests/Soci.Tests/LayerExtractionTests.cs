using System.Formats.Tar;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>zTOCs we build over real tool output, checked against System.Formats.Tar's reading of the same layer.</summary>
public class LayerExtractionTests(TestLayers layers) : IClassFixture<TestLayers>
{
    private const long SmallSpan = 64 * 1024;

    [Theory]
    [MemberData(nameof(TestLayers.Variants), MemberType = typeof(TestLayers))]
    public async Task ReadFile_EveryRegularFile_EqualsTarBytes(string layer, LayerCompression compression)
    {
        byte[] blob = layers.Read(layer);
        Ztoc ztoc = ZtocSerializer.Deserialize(ZtocSerializer.Serialize(await LayerFile.BuildAsync(blob, compression, SmallSpan)));
        var reader = new ZtocSpanReader(ztoc, LayerFile.RangeReader(blob));
        Dictionary<string, byte[]> expected = TarContents.RegularFiles(blob, compression);

        Assert.True(ztoc.CompressionInfo.MaxSpanId > 8, $"only {ztoc.CompressionInfo.MaxSpanId + 1} spans");
        Assert.Equal(blob.Length, ztoc.CompressedArchiveSize);
        foreach (FileMetadata file in ztoc.Files.Where(f => f.Type == TarEntryTypes.Regular))
        {
            byte[] actual = await reader.ReadFileAsync(file, CancellationToken.None);
            Assert.True(expected.Remove(file.Name, out byte[]? tarBytes), $"{file.Name} is not a regular file of the tar");
            Assert.True(tarBytes.AsSpan().SequenceEqual(actual), $"{file.Name} differs");
        }
        Assert.Empty(expected);
    }

    [Theory]
    [InlineData("pax.tar")]
    [InlineData("gnu.tar")]
    public async Task Build_UncompressedTar_EntriesMatchSystemFormatsTar(string layer)
    {
        byte[] blob = layers.Read(layer);
        Ztoc ztoc = await LayerFile.BuildAsync(blob, LayerCompression.Uncompressed, SmallSpan);
        using var reader = new TarReader(new MemoryStream(blob, writable: false));
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } e)
        {
            entries.Add(e);
        }

        Assert.Equal(entries.Count, ztoc.Files.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            TarEntry e = entries[i];
            FileMetadata f = ztoc.Files[i];
            Assert.Equal(e.Name, f.Name);
            Assert.Equal(TypeName(e.EntryType), f.Type);
            Assert.Equal(e.LinkName ?? "", f.LinkName);
            Assert.Equal((long)e.Mode, f.Mode & 0xfff);
            Assert.Equal(1234u, f.Uid);
            Assert.Equal(5678u, f.Gid);
            Assert.InRange((DateTimeOffset.Parse(f.ModTime) - e.ModificationTime).Duration(), TimeSpan.Zero, TimeSpan.FromMicroseconds(1));
            if (f.Type == TarEntryTypes.Regular)
            {
                Assert.Equal(e.Length, f.UncompressedSize);
                Assert.Equal(e.DataOffset, f.UncompressedOffset);
            }
            if (e is PaxTarEntry pax)
            {
                Assert.Equal(pax.ExtendedAttributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"),
                    f.PaxRecords.Select(r => r.ToString()));
            }
        }
        Assert.Contains(ztoc.Files, f => f.Type == TarEntryTypes.Hardlink && f.LinkName.EndsWith("hard-link-to-random", StringComparison.Ordinal));
        Assert.Contains(ztoc.Files, f => f.Name.Length > 200);
        Assert.Contains(ztoc.Files, f => f.Type == TarEntryTypes.Regular && f.UncompressedSize == 0);
    }

    [Fact]
    public async Task Build_PaxLayer_KeepsPaxRecordsSortedWithFractionalMtime()
    {
        Ztoc ztoc = await LayerFile.BuildAsync(layers.Read("pax.tar"), LayerCompression.Uncompressed, SmallSpan);

        FileMetadata empty = Assert.Single(ztoc.Files, f => f.Name == "./empty");
        Assert.Equal("2024-02-03T04:05:06.1234567Z", empty.ModTime);
        Assert.Contains(empty.PaxRecords, r => r.Key == "SCHILY.xattr.user.note" && r.ValueText == "hello");
        Assert.Equal(empty.PaxRecords.Select(r => r.Key).Order(StringComparer.Ordinal), empty.PaxRecords.Select(r => r.Key));
    }

    [Fact]
    public async Task Build_MultiMemberGzip_SpansCrossMembersAndDigestsVerify()
    {
        byte[] blob = layers.Read("pax.pigz-multi.tar.gz");
        Ztoc single = await LayerFile.BuildAsync(layers.Read("pax.gzip-n.tar.gz"), LayerCompression.Gzip, SmallSpan);
        Ztoc multi = await LayerFile.BuildAsync(blob, LayerCompression.Gzip, SmallSpan);
        var reader = new ZtocSpanReader(multi, LayerFile.RangeReader(blob));

        Assert.Equal(single.UncompressedArchiveSize, multi.UncompressedArchiveSize);
        Assert.Equal(single.Files.Select(f => (f.Name, f.UncompressedOffset)), multi.Files.Select(f => (f.Name, f.UncompressedOffset)));
        for (int span = 0; span < reader.Spans.SpanCount; span++)
        {
            (long start, long end) = reader.Spans.UncompressedSpanRange(span);
            Assert.Equal(end - start, (await reader.ReadSpanAsync(span, CancellationToken.None)).Length);
        }
    }

    [Fact]
    public async Task Build_DefaultSpan_OneCheckpointPerFourMiB()
    {
        byte[] blob = layers.Read("pax.gzip-name.tar.gz");
        Ztoc ztoc = await LayerFile.BuildAsync(blob, LayerCompression.Gzip, ZtocBuildOptions.DefaultSpanSize);

        Assert.InRange(ztoc.CompressionInfo.MaxSpanId, 0, 1);
        var table = Gzip.GzipCheckpointTable.Parse(ztoc.CompressionInfo.Checkpoints, blob.Length);
        Assert.True(table[0].In > 10, "the first checkpoint sits after a header that holds a file name");
        Assert.Equal(0, table[0].Out);
    }

    private static string TypeName(TarEntryType type) => type switch
    {
        TarEntryType.RegularFile or TarEntryType.V7RegularFile => TarEntryTypes.Regular,
        TarEntryType.Directory => TarEntryTypes.Directory,
        TarEntryType.SymbolicLink => TarEntryTypes.Symlink,
        TarEntryType.HardLink => TarEntryTypes.Hardlink,
        TarEntryType.CharacterDevice => TarEntryTypes.Char,
        TarEntryType.BlockDevice => TarEntryTypes.Block,
        TarEntryType.Fifo => TarEntryTypes.Fifo,
        _ => type.ToString(),
    };
}
