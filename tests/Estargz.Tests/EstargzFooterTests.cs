using PluggableSnapshotter.Plugins.Estargz.Format;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

public sealed class EstargzFooterTests
{
    [Fact]
    public void TryParse_EstargzFooter_Gives51BytesAndTocOffset()
    {
        var footer = EstargzFooter.Create(0x1234_5678_9a);
        Assert.Equal(EstargzFooter.Size, footer.Length);

        Assert.True(EstargzFooter.TryParse([.. new byte[100], .. footer], out var offset, out var size));
        Assert.Equal(0x1234_5678_9aL, offset);
        Assert.Equal(51, size);
    }

    [Fact]
    public void TryParse_LegacyStargzFooter_Gives47BytesAndTocOffset()
    {
        var footer = EstargzFooter.Create(4096, legacy: true);
        Assert.Equal(EstargzFooter.LegacySize, footer.Length);

        Assert.True(EstargzFooter.TryParse([.. new byte[100], .. footer], out var offset, out var size));
        Assert.Equal(4096, offset);
        Assert.Equal(47, size);
    }

    [Fact]
    public void TryParse_LegacyFooterExactly47Bytes_IsFound()
    {
        Assert.True(EstargzFooter.TryParse(EstargzFooter.Create(7, legacy: true), out var offset, out var size));
        Assert.Equal((7L, 47), (offset, size));
    }

    [Fact]
    public void TryParse_BlobFromStandardGzipWriter_IsNotEstargz()
    {
        using var blob = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(blob, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(new byte[10_000]);
        }
        Assert.False(EstargzFooter.TryParse(blob.ToArray(), out _, out _));
    }

    [Fact]
    public void TryParse_WrongMagicOrPayload_IsNotEstargz()
    {
        var badMagic = EstargzFooter.Create(1);
        badMagic[0] = 0;
        var badSuffix = EstargzFooter.Create(1);
        badSuffix[^14] = (byte)'X'; // inside "STARGZ"
        var badHex = EstargzFooter.Create(1);
        badHex[16] = (byte)'g';

        Assert.False(EstargzFooter.TryParse(badMagic, out _, out _));
        Assert.False(EstargzFooter.TryParse(badSuffix, out _, out _));
        Assert.False(EstargzFooter.TryParse(badHex, out _, out _));
        Assert.False(EstargzFooter.TryParse(new byte[20], out _, out _));
    }
}
