using System.Text;
using PluggableSnapshotter.Plugins.Estargz.Format;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>The zstd:chunked footer and TOC frame, as stargz-snapshotter's zstdchunked package (ctr-remote 0.12) writes them.</summary>
public sealed class ZstdChunkedFooterTests
{
    [Fact]
    public void TryParse_FooterOfCtrRemoteLayout_GivesTocPositionAndDataEnd()
    {
        // The figures of a layer ctr-remote 0.12 converted: manifest-position annotation "3006258:2787:17502:1".
        var footer = ZstdChunkedFooter.Create(3006258, 2787, 17502);
        Assert.Equal(48, footer.Length);
        Assert.Equal("502a4d1828000000", Convert.ToHexStringLower(footer.AsSpan(0, 8)));
        Assert.Equal("GnUlInUx"u8.ToArray(), footer[^8..]);

        Assert.True(ZstdChunkedFooter.TryParse([.. new byte[100], .. footer], out var toc));

        Assert.Equal(new ZstdChunkedToc(3006258, 2787, 17502), toc);
        Assert.Equal(3006250, toc.DataEnd);
    }

    [Fact]
    public void TryParse_EstargzFooterOrPlainZstdOrShortTail_IsNotZstdChunked()
    {
        using var compressor = new ZstdSharp.Compressor(3);
        Assert.False(ZstdChunkedFooter.TryParse(compressor.Wrap(new byte[10_000]), out _));
        Assert.False(ZstdChunkedFooter.TryParse([.. new byte[100], .. EstargzFooter.Create(1234)], out _));
        Assert.False(ZstdChunkedFooter.TryParse(ZstdChunkedFooter.Create(8, 1, 1).AsSpan(1), out _));
        var wrongMagic = ZstdChunkedFooter.Create(8, 1, 1);
        wrongMagic[^1] = (byte)'y';
        Assert.False(ZstdChunkedFooter.TryParse(wrongMagic, out _));
        var wrongFrameLength = ZstdChunkedFooter.Create(8, 1, 1);
        wrongFrameLength[4] = 41;
        Assert.False(ZstdChunkedFooter.TryParse(wrongFrameLength, out _));
    }

    [Theory]
    [InlineData(100L, 10L, 10L, 2L, "manifest type 2")]
    [InlineData(4L, 10L, 10L, 1L, "puts the TOC at 4")]
    [InlineData(-1L, 10L, 10L, 1L, "puts the TOC at")]
    [InlineData(100L, 0L, 10L, 1L, "0 compressed bytes")]
    [InlineData(100L, 10L, 0L, 1L, "TOC 0 bytes")]
    [InlineData(100L, 10L, 1L << 40, 1L, "TOC 1099511627776 bytes")]
    public void TryParse_FooterWithImpossibleFields_Throws(long offset, long compressed, long raw, long type, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => ZstdChunkedFooter.TryParse(ZstdChunkedFooter.Create(offset, compressed, raw, type), out _));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtractZstd_TocFrame_GivesTheJson()
    {
        var json = Encoding.UTF8.GetBytes("""{"version":1,"entries":[]}""");
        using var compressor = new ZstdSharp.Compressor(3);

        Assert.Equal(json, TocReader.ExtractZstd(compressor.Wrap(json), json.Length));
    }

    [Fact]
    public void ExtractZstd_LengthDiffersOrFrameTruncatedOrNotZstd_Throws()
    {
        var json = Encoding.UTF8.GetBytes("""{"version":1,"entries":[]}""");
        using var compressor = new ZstdSharp.Compressor(3);
        var frame = compressor.Wrap(json).ToArray();

        Assert.Throws<InvalidDataException>(() => TocReader.ExtractZstd(frame, json.Length + 1)); // footer overstates
        Assert.Throws<InvalidDataException>(() => TocReader.ExtractZstd(frame, json.Length - 1)); // footer understates
        Assert.Throws<InvalidDataException>(() => TocReader.ExtractZstd(frame.AsSpan(0, frame.Length / 2), json.Length)); // truncated
        Assert.Throws<InvalidDataException>(() => TocReader.ExtractZstd(new byte[40], json.Length)); // not zstd
        Assert.Throws<InvalidDataException>(() => TocReader.ExtractZstd(frame, 0));
        // Bytes changed inside a frame without a checksum decompress to other JSON: the TOC digest refuses those (Parse).
    }

    [Fact]
    public void Parse_ZstdTocOfBlobWriter_MatchesItsDigestAndLaysOutChunks()
    {
        var (blob, json, dataEnd) = new EstargzBlobWriter(EstargzCompression.Zstd).File("a", new byte[5000], chunkSize: 2048).Build();
        Assert.True(ZstdChunkedFooter.TryParse(blob, out var position));
        Assert.Equal(dataEnd, position.DataEnd);
        var extracted = TocReader.ExtractZstd(blob.AsSpan((int)position.Offset, (int)position.CompressedLength), position.RawLength);

        var layout = EstargzLayout.Build(TocReader.Parse(extracted, Registry.OciDigest.Compute(json).ToString()), position.DataEnd, false, true, 1 << 20);

        Assert.Equal(3, layout.Chunks.Count);
        Assert.Equal(dataEnd, layout.Chunks[^1].BlobEnd);
    }
}
