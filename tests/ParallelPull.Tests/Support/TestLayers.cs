using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>The test layers: a gzip one large enough for several 64 KiB chunks, a zstd one with a whiteout, a plain tar.</summary>
public static class TestLayers
{
    /// <summary>About 300 KB of text that compresses poorly.</summary>
    public static readonly string BigContent = MakeBig();

    public static byte[] Gzip() => LayerBuilder.Gzip(new LayerBuilder()
        .Dir("bin/").File("bin/tool", "t", (UnixFileMode)0x9ED, uid: 1000, gid: 1000)
        .Dir("etc/").File("etc/first", "1").Dir("data/").File("data/big", BigContent).Tar());

    public static byte[] Zstd() => LayerBuilder.Zstd(new LayerBuilder()
        .Dir("etc/").File("etc/.wh.first", "").File("etc/second", "second").Tar());

    public static byte[] Plain() => new LayerBuilder().File("plain", "plain").Tar();

    private static string MakeBig()
    {
        var bytes = new byte[300_000];
        new Random(5).NextBytes(bytes);
        return Convert.ToBase64String(bytes);
    }
}
