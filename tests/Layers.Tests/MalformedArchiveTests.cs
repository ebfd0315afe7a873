using System.Text;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport.Mounts;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// Malformed variants of each tar form fail with an <see cref="InvalidDataException"/> naming the entry and leave
/// nothing behind; valid but unusual encodings (base-256 numbers, out-of-range times) apply as containerd applies them.
/// Root only.
/// </summary>
public sealed class MalformedArchiveTests : IDisposable
{
    private static readonly byte[] Hello = "hello"u8.ToArray();
    private readonly Tmpfs _tmpfs = new();

    public MalformedArchiveTests() => Directory.CreateDirectory(_tmpfs.PathOf("layers"));

    private string Target => _tmpfs.PathOf("layers/layer");

    public static TheoryData<string, byte[], string> Archives => new()
    {
        {
            "truncated PAX record",
            new RawTar().Pax("PaxHeaders/victim", "30 SCHILY.xattr.user.a=ab"u8.ToArray()).Header("victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "PaxHeaders/victim"
        },
        {
            "PAX record length past the header",
            new RawTar().Pax("PaxHeaders/victim", Concat(RawTar.Records(("path", "victim"u8.ToArray())), "999 mtime=1\n"u8.ToArray()))
                .Header("victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "PaxHeaders/victim"
        },
        {
            "PAX path with a NUL byte",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("path", "a\0b"u8.ToArray()))).Header("victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "PaxHeaders/victim"
        },
        {
            "PAX size that is not a number",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("size", "12x"u8.ToArray()))).Header("victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "victim"
        },
        { "negative base-256 size", new RawTar().Header("victim", '0', size: RawTar.Base256(-5, 12)).Data(Hello).Tar(), "victim" },
        { "overflowing base-256 size", new RawTar().Header("victim", '0', size: RawTar.Base256Overflow(12)).Data(Hello).Tar(), "victim" },
        { "overflowing base-256 mtime", new RawTar().Header("victim", '0', size: RawTar.Octal(5, 12), mtime: RawTar.Base256Overflow(12)).Data(Hello).Tar(), "victim" },
        { "size past the end of the stream", new RawTar().Header("victim", '0', size: RawTar.Octal(4000, 12)).Bytes(Hello).Tar(end: false), "victim" },
        { "header cut short", new RawTar().Header("first", '0', size: RawTar.Octal(5, 12)).Data(Hello).Bytes(new byte[100]).Tar(end: false), "?" },
        {
            "sparse 0.1 map past the real size",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("GNU.sparse.major", "0"u8.ToArray()), ("GNU.sparse.minor", "1"u8.ToArray()),
                    ("GNU.sparse.name", "victim"u8.ToArray()), ("GNU.sparse.realsize", "10"u8.ToArray()), ("GNU.sparse.numblocks", "1"u8.ToArray()),
                    ("GNU.sparse.map", "8,5"u8.ToArray())))
                .Header("GNUSparseFile.0/victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "victim"
        },
        {
            "sparse 0.1 map out of order",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("GNU.sparse.map", "100,1,0,2"u8.ToArray()), ("GNU.sparse.numblocks", "2"u8.ToArray()),
                    ("GNU.sparse.realsize", "1000"u8.ToArray())))
                .Header("victim", '0', size: RawTar.Octal(3, 12)).Data("abc"u8.ToArray()).Tar(),
            "victim"
        },
        {
            "sparse map referencing data the archive does not hold",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("GNU.sparse.map", "0,5,100,50"u8.ToArray()), ("GNU.sparse.numblocks", "2"u8.ToArray()),
                    ("GNU.sparse.realsize", "1000"u8.ToArray())))
                .Header("victim", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar(),
            "victim"
        },
        {
            "sparse 1.0 map cut short",
            new RawTar().Pax("PaxHeaders/victim", RawTar.Records(("GNU.sparse.major", "1"u8.ToArray()), ("GNU.sparse.minor", "0"u8.ToArray()),
                    ("GNU.sparse.name", "victim"u8.ToArray()), ("GNU.sparse.realsize", "1000"u8.ToArray())))
                .Header("GNUSparseFile.0/victim", '0', size: RawTar.Octal(512, 12)).Data(Encoding.ASCII.GetBytes("999999\n0\n5\n".PadRight(512, '\0'))).Tar(),
            "victim"
        },
        { "contiguous file ('7')", new RawTar().Header("victim", '7', size: RawTar.Octal(5, 12)).Data(Hello).Tar(), "victim" },
        { "unknown type", new RawTar().Header("victim", 'Z', size: RawTar.Octal(5, 12)).Data(Hello).Tar(), "victim" },
    };

    [RootOnlyTheory]
    [MemberData(nameof(Archives))]
    public async Task ApplyAsync_MalformedArchive_FailsNamingEntryAndLeavesNothing(string why, byte[] tar, string entry)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            new LayerApplier().ApplyAsync(new MemoryStream(tar), Target, new LayerApplyOptions(), CancellationToken.None));

        if (entry != "?") Assert.Contains($"'{entry}'", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(why));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.PathOf("layers")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_Base256Fields_AreReadAsNumbers()
    {
        var tar = new RawTar().Header("big", '0', size: RawTar.Base256(5, 12), uid: RawTar.Base256(5_000_000, 8), mtime: RawTar.Base256(1_600_000_000, 12))
            .Data(Hello).Tar();

        await new LayerApplier().ApplyAsync(new MemoryStream(tar), Target, new LayerApplyOptions(), CancellationToken.None);

        var stat = FileStat.Of(Path.Combine(Target, "big"));
        Assert.Equal((5_000_000, "1600000000.000000000"), (stat.Uid, stat.ModifiedNanos));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(Target, "big")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_TimesOutsideUnixNanoseconds_BecomeTheEpochAsInContainerd()
    {
        var tar = new RawTar()
            .Header("before-1970", '0', size: RawTar.Octal(5, 12), mtime: RawTar.Base256(-86400, 12)).Data(Hello)
            .Header("after-2262", '0', size: RawTar.Octal(5, 12), mtime: RawTar.Base256(10_000_000_000, 12)).Data(Hello)
            .Tar();

        await new LayerApplier().ApplyAsync(new MemoryStream(tar), Target, new LayerApplyOptions(), CancellationToken.None);

        Assert.Equal("0.000000000", FileStat.Of(Path.Combine(Target, "before-1970")).ModifiedNanos);
        Assert.Equal("0.000000000", FileStat.Of(Path.Combine(Target, "after-2262")).ModifiedNanos);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_PaxGlobalHeader_IsIgnored()
    {
        var tar = new RawTar().Header("pax_global_header", 'g', size: RawTar.Octal(RawTar.Records(("comment", "x"u8.ToArray())).Length, 12))
            .Data(RawTar.Records(("comment", "x"u8.ToArray())))
            .Header("file", '0', size: RawTar.Octal(5, 12)).Data(Hello).Tar();

        var result = await new LayerApplier().ApplyAsync(new MemoryStream(tar), Target, new LayerApplyOptions(), CancellationToken.None);

        Assert.Equal(["file"], Directory.EnumerateFileSystemEntries(Target).Select(Path.GetFileName));
        Assert.Equal(2, result.Entries);
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    public void Dispose() => _tmpfs.Dispose();
}
