namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Both directions of compatibility with the zTOCs SOCI's own code built.</summary>
public class VectorCompatibilityTests
{
    [Theory]
    [MemberData(nameof(Vectors.All), MemberType = typeof(Vectors))]
    public async Task Deserialize_SociVector_ExtractsEveryRegularFileByteForByte(string ztocName, string layerName, long span, LayerCompression compression)
    {
        byte[] blob = await File.ReadAllBytesAsync(Vectors.PathOf(layerName));
        Ztoc ztoc = ZtocSerializer.Deserialize(await File.ReadAllBytesAsync(Vectors.PathOf(ztocName)));
        Dictionary<string, byte[]> expected = TarContents.RegularFiles(blob, compression);
        var reader = new ZtocSpanReader(ztoc, LayerFile.RangeReader(blob));

        Assert.Equal(span, reader.Spans.SpanSize);
        var regular = ztoc.Files.Where(f => f.Type == TarEntryTypes.Regular).ToList();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), regular.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (FileMetadata entry in ztoc.Files)
        {
            await reader.VerifyTarHeaderAsync(entry, CancellationToken.None);
        }
        foreach (FileMetadata file in regular)
        {
            byte[] actual = await reader.ReadFileAsync(file, CancellationToken.None);
            Assert.True(expected[file.Name].AsSpan().SequenceEqual(actual), $"{file.Name} differs");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors.All), MemberType = typeof(Vectors))]
    public async Task Build_SameLayerAndSpan_ProducesSociFields(string ztocName, string layerName, long span, LayerCompression compression)
    {
        Ztoc expected = ZtocSerializer.Deserialize(await File.ReadAllBytesAsync(Vectors.PathOf(ztocName)));
        byte[] blob = await File.ReadAllBytesAsync(Vectors.PathOf(layerName));

        Ztoc built = await LayerFile.BuildAsync(blob, compression, span, expected.BuildToolIdentifier);
        Ztoc roundTripped = ZtocSerializer.Deserialize(ZtocSerializer.Serialize(built));

        foreach (Ztoc actual in new[] { built, roundTripped })
        {
            ZtocAssert.SameFields(expected, actual);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4099)]
    public async Task Build_SourceInTinyReads_SameFieldsAsSoci(int maxRead)
    {
        Ztoc expected = ZtocSerializer.Deserialize(await File.ReadAllBytesAsync(Vectors.PathOf("special-layer.span-64k.ztoc")));
        byte[] blob = await File.ReadAllBytesAsync(Vectors.PathOf("special-layer.tar.gz"));

        Ztoc built = await ZtocBuilder.BuildAsync(new TrickleStream(blob, maxRead), LayerCompression.Gzip,
            new ZtocBuildOptions { SpanSize = 64 * 1024, BuildToolIdentifier = expected.BuildToolIdentifier }, CancellationToken.None);

        ZtocAssert.SameFields(expected, built);
    }
}
