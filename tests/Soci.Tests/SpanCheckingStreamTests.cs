namespace PluggableSnapshotter.Soci.Tests;

/// <summary>
/// The fill's check of a blob's spans as it passes (<see cref="SpanCheckingStream"/>), over real tool output: gzip with
/// and without a name in its header, pigz's several members, a plain tar; read in chunks of every kind of size.
/// </summary>
public class SpanCheckingStreamTests(TestLayers layers) : IClassFixture<TestLayers>
{
    private const long SmallSpan = 64 * 1024;

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Read_IntactBlob_VerifiesEverySpanInOrderAndPassesTheBytesOn(string layer, LayerCompression compression, int chunk)
    {
        var blob = layers.Read(layer);
        var ztoc = await LayerFile.BuildAsync(blob, compression, SmallSpan);
        var spans = new ZtocSpans(ztoc);
        var (verified, failures) = (new List<long>(), new List<string>());

        var passed = ReadThrough(blob, spans, chunk, verified, failures);

        Assert.Equal(blob, passed);
        Assert.Empty(failures);
        Assert.Equal(Enumerable.Range(0, spans.SpanCount).Select(i => spans.UncompressedSpanRange(i).End), verified);
        Assert.True(verified[^1] >= ztoc.UncompressedArchiveSize, $"verified through {verified[^1]} of {ztoc.UncompressedArchiveSize}"); // a plain tar's last span runs to the blob's end
    }

    [Fact]
    public async Task Layers_SpansThatShareAByte_AreAmongThoseChecked()
    {
        // Checkpoints inside a byte (bits != 0) make two spans share that byte: the check must hash it into both.
        var spans = new ZtocSpans(await LayerFile.BuildAsync(layers.Read("pax.gzip-n.tar.gz"), LayerCompression.Gzip, SmallSpan));

        Assert.Contains(Enumerable.Range(1, spans.SpanCount - 1), i => spans.CompressedSpanRange(i).Start == spans.CompressedSpanRange(i - 1).End - 1);
    }

    [Theory]
    [InlineData("pax.gzip-n.tar.gz", LayerCompression.Gzip, "middle")]
    [InlineData("pax.gzip-n.tar.gz", LayerCompression.Gzip, "first")]
    [InlineData("pax.gzip-n.tar.gz", LayerCompression.Gzip, "last")]
    [InlineData("pax.gzip-n.tar.gz", LayerCompression.Gzip, "shared")]
    [InlineData("pax.gzip-n.tar.gz", LayerCompression.Gzip, "trailer")]
    [InlineData("pax.pigz-multi.tar.gz", LayerCompression.Gzip, "middle")]
    [InlineData("pax.tar", LayerCompression.Uncompressed, "middle")]
    [InlineData("pax.tar", LayerCompression.Uncompressed, "last")]
    public async Task Read_AByteOfASpanWrong_VerifiesOnlyTheSpansBeforeIt(string layer, LayerCompression compression, string where)
    {
        var blob = layers.Read(layer);
        var spans = new ZtocSpans(await LayerFile.BuildAsync(blob, compression, SmallSpan));
        int Shared() => Enumerable.Range(1, spans.SpanCount - 1).First(i => spans.CompressedSpanRange(i).Start == spans.CompressedSpanRange(i - 1).End - 1);
        var (bad, at) = where switch
        {
            "first" => (spans.SpanCount / 2, spans.CompressedSpanRange(spans.SpanCount / 2).Start),
            "last" => (spans.SpanCount / 2, spans.CompressedSpanRange(spans.SpanCount / 2).End - 1),
            "shared" => (Shared() - 1, spans.CompressedSpanRange(Shared()).Start), // the byte two spans share: the first of them fails
            "trailer" => (spans.SpanCount - 1, blob.Length - 1), // the gzip trailer is in the last span
            _ => (spans.SpanCount / 2, (spans.CompressedSpanRange(spans.SpanCount / 2).Start + spans.CompressedSpanRange(spans.SpanCount / 2).End) / 2),
        };
        blob[at] ^= 0x40;
        var (verified, failures) = (new List<long>(), new List<string>());

        var passed = ReadThrough(blob, spans, 4096, verified, failures);

        Assert.Equal(blob, passed); // still passed on: the blob digest decides for the reader
        Assert.Equal(Enumerable.Range(0, bad).Select(i => spans.UncompressedSpanRange(i).End), verified);
        Assert.Contains($"span {bad} has digest", Assert.Single(failures));
    }

    [Fact]
    public async Task ReadAsync_IntactBlob_VerifiesEverySpan()
    {
        var blob = layers.Read("pax.pigz-multi.tar.gz");
        var spans = new ZtocSpans(await LayerFile.BuildAsync(blob, LayerCompression.Gzip, SmallSpan));
        var (verified, failures) = (new List<long>(), new List<string>());
        await using var checking = new SpanCheckingStream(new MemoryStream(blob), spans, verified.Add, failures.Add);
        var output = new MemoryStream();

        await checking.CopyToAsync(output, 3000);

        Assert.Equal(blob, output.ToArray());
        Assert.Empty(failures);
        Assert.Equal(spans.SpanCount, verified.Count);
    }

    [Fact]
    public async Task Read_GzipHeaderThatNoLongerEndsWhereSpanZeroStarts_VerifiesNothing()
    {
        var blob = layers.Read("pax.gzip-n.tar.gz");
        var spans = new ZtocSpans(await LayerFile.BuildAsync(blob, LayerCompression.Gzip, SmallSpan));
        blob[3] |= 8; // FNAME: the header now runs on into the deflate data, which no span digest covers
        var (verified, failures) = (new List<long>(), new List<string>());

        ReadThrough(blob, spans, 4096, verified, failures);

        Assert.Empty(verified);
        Assert.Single(failures);
    }

    public static TheoryData<string, LayerCompression, int> Variants()
    {
        var data = new TheoryData<string, LayerCompression, int>();
        foreach (var row in TestLayers.Variants())
        {
            foreach (var chunk in new[] { 1, 7, 4096, int.MaxValue })
            {
                if (chunk == 1 && !((string)row[0]).StartsWith("pax.gzip-n", StringComparison.Ordinal)) continue; // byte by byte once: slow
                data.Add((string)row[0], (LayerCompression)row[1], chunk);
            }
        }
        return data;
    }

    private static byte[] ReadThrough(byte[] blob, ZtocSpans spans, int chunk, List<long> verified, List<string> failures)
    {
        using var checking = new SpanCheckingStream(new MemoryStream(blob), spans, verified.Add, failures.Add);
        var output = new MemoryStream();
        var buffer = new byte[Math.Min(chunk, blob.Length)];
        int read;
        while ((read = checking.Read(buffer, 0, buffer.Length)) > 0) output.Write(buffer, 0, read);
        return output.ToArray();
    }
}
