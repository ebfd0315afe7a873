using System.Formats.Tar;
using System.Text;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport.Mounts;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;
using PluggableSnapshotter.TestSupport.Tars;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>Applying archives built in the tests onto a fresh tmpfs (root only: ownership, devices, trusted xattrs).</summary>
public sealed class LayerApplierTests : IDisposable
{
    private readonly Tmpfs _tmpfs = new();
    private readonly LayerApplier _applier = new();

    private string Target => _tmpfs.PathOf("layer");

    private Task<LayerApplyResult> ApplyAsync(byte[] blob, LayerApplyOptions? options = null) =>
        _applier.ApplyAsync(new MemoryStream(blob), Target, options ?? new LayerApplyOptions(), CancellationToken.None);

    [RootOnlyFact]
    public async Task ApplyAsync_Whiteouts_BecomeCharacterDevices00()
    {
        var tar = new LayerBuilder()
            .Dir("etc/").File("etc/.wh.removed", "").File(".wh.whole-dir", "")
            .Tar();

        await ApplyAsync(tar);

        foreach (var path in new[] { "etc/removed", "whole-dir" })
        {
            var stat = FileStat.Of(Path.Combine(Target, path));
            Assert.Equal(("character special file", 0, 0, 0, 0), (stat.Type, stat.Major, stat.Minor, stat.Uid, stat.Gid));
        }

        Assert.False(File.Exists(Path.Combine(Target, "etc/.wh.removed")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_OpaqueMarker_SetsTrustedOpaqueXattr()
    {
        var tar = new LayerBuilder().Dir("opaque/").File("opaque/.wh..wh..opq", "").File("opaque/kept", "x").File("implicit/.wh..wh..opq", "").Tar();

        await ApplyAsync(tar);

        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(Target, "opaque"), "trusted.overlay.opaque"));
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(Target, "implicit"), "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(Target, "opaque/.wh..wh..opq")));
        Assert.True(File.Exists(Path.Combine(Target, "opaque/kept")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_UserXattrOption_SetsUserOpaqueXattr()
    {
        await ApplyAsync(new LayerBuilder().Dir("d/").File("d/.wh..wh..opq", "").Tar(), new LayerApplyOptions { UserXattr = true });

        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(Target, "d"), "user.overlay.opaque"));
        Assert.Null(Xattrs.Get(Path.Combine(Target, "d"), "trusted.overlay.opaque"));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_LinksAndSpecialFiles_AreCreatedAsInTheArchive()
    {
        var tar = new LayerBuilder()
            .Dir("bin/").File("bin/tool", "binary").HardLink("bin/alias", "bin/tool")
            .Symlink("rel", "bin/tool").Symlink("abs", "/bin/tool").Symlink("dangling", "../nowhere/at/all")
            .Device("dev-null", TarEntryType.CharacterDevice, 1, 3).Device("disk", TarEntryType.BlockDevice, 8, 1).Fifo("pipe")
            .Tar();

        await ApplyAsync(LayerBuilder.Gzip(tar), new LayerApplyOptions { MediaType = "application/vnd.oci.image.layer.v1.tar+gzip" });

        Assert.Equal(FileStat.Of(Path.Combine(Target, "bin/tool")).Inode, FileStat.Of(Path.Combine(Target, "bin/alias")).Inode);
        Assert.Equal("bin/tool", new FileInfo(Path.Combine(Target, "rel")).LinkTarget);
        Assert.Equal("/bin/tool", new FileInfo(Path.Combine(Target, "abs")).LinkTarget);
        Assert.Equal("../nowhere/at/all", new FileInfo(Path.Combine(Target, "dangling")).LinkTarget);
        var nul = FileStat.Of(Path.Combine(Target, "dev-null"));
        Assert.Equal(("character special file", 1, 3), (nul.Type, nul.Major, nul.Minor));
        var disk = FileStat.Of(Path.Combine(Target, "disk"));
        Assert.Equal(("block special file", 8, 1), (disk.Type, disk.Major, disk.Minor));
        Assert.Equal("fifo", FileStat.Of(Path.Combine(Target, "pipe")).Type);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_SpecialModeBitsAndOwners_ArePreserved()
    {
        var tar = new LayerBuilder()
            .File("setuid", "x", (UnixFileMode)0x9ED, uid: 1000, gid: 1000) // 04755
            .Dir("setgid/", (UnixFileMode)0x5ED, uid: 65534, gid: 65534) // 02755
            .Dir("sticky/", (UnixFileMode)0x3FF) // 01777
            .File("nobody", "y", uid: 65534, gid: 65534)
            .Tar();

        await ApplyAsync(tar);

        Assert.Equal(("4755", 1000, 1000), Summary("setuid"));
        Assert.Equal(("2755", 65534, 65534), Summary("setgid"));
        Assert.Equal(("1777", 0, 0), Summary("sticky"));
        Assert.Equal(("644", 65534, 65534), Summary("nobody"));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_PaxXattrs_AreSetIncludingBinaryValuesExceptTrustedOnesAsContainerd()
    {
        byte[] capability = [0x01, 0x00, 0x00, 0x02, 0xff, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        var tar = new LayerBuilder()
            .File("text", "t", pax: new Dictionary<string, string> { ["SCHILY.xattr.user.comment"] = "héllo" })
            .FileWithRawXattrs("ping", "p", new Dictionary<string, byte[]> { ["security.capability"] = capability, ["trusted.blob"] = [0x00, 0xc3, 0x28] })
            .Tar();

        await ApplyAsync(LayerBuilder.Zstd(tar));

        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), Xattrs.Get(Path.Combine(Target, "text"), "user.comment"));
        Assert.Equal(capability, Xattrs.Get(Path.Combine(Target, "ping"), "security.capability"));
        // containerd's applier never sets trusted.* from an archive ("admin attributes from archive not supported").
        Assert.Null(Xattrs.Get(Path.Combine(Target, "ping"), "trusted.blob"));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_RootEntry_IsSkippedAsContainerdSkipsIt()
    {
        var tar = new LayerBuilder().Dir("./", mode: (UnixFileMode)0x1C0 /* 0700 */, uid: 12, gid: 34).File("f", "x").Tar();

        await ApplyAsync(LayerBuilder.Zstd(tar));

        Assert.Equal(("755", 0, 0), Summary(""));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_Times_AreSetWithDirectoriesLast()
    {
        var directoryTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        var fileTime = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(42);
        var tar = new LayerBuilder().Dir("d/", mtime: directoryTime).File("d/f", "x", mtime: fileTime).File("d/g", "y").Tar();

        await ApplyAsync(tar);

        Assert.Equal(Nanos(directoryTime), FileStat.Of(Path.Combine(Target, "d")).ModifiedNanos);
        Assert.Equal(Nanos(fileTime), FileStat.Of(Path.Combine(Target, "d/f")).ModifiedNanos);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_LongAndUnicodeNames_AreWritten()
    {
        var deep = string.Join('/', Enumerable.Range(0, 12).Select(i => $"directory-level-{i:D2}-with-a-long-name"));
        var unicode = "ünïcødé-文件-🙂.txt";
        var tar = new LayerBuilder().File(deep + "/file", "deep").File(unicode, "u").File(new string('n', 200), "long").Tar();

        await ApplyAsync(tar);

        Assert.Equal("deep", File.ReadAllText(Path.Combine(Target, deep, "file")));
        Assert.Equal("u", File.ReadAllText(Path.Combine(Target, unicode)));
        Assert.Equal("long", File.ReadAllText(Path.Combine(Target, new string('n', 200))));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_DiffIdMatches_ReturnsItAndSniffsPlainTar()
    {
        var tar = new LayerBuilder().File("a", "b").Tar();
        var diffId = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar));

        var result = await ApplyAsync(tar, new LayerApplyOptions { ExpectedDiffId = diffId });

        Assert.Equal(diffId, result.DiffId);
        Assert.Equal(tar.Length, result.UncompressedSize);
        Assert.Equal(Registry.LayerCompression.Uncompressed, result.Compression);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_DiffIdMismatch_ThrowsAndLeavesNothing()
    {
        var tar = new LayerBuilder().File("a", "b").Tar();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            ApplyAsync(LayerBuilder.Gzip(tar), new LayerApplyOptions { ExpectedDiffId = "sha256:" + new string('0', 64) }));

        Assert.Contains("diff ID", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_DiffIdNotAskedFor_AppliesWithoutOne()
    {
        var tar = new LayerBuilder().File("a", "b").Tar();

        var result = await ApplyAsync(LayerBuilder.Gzip(tar), new LayerApplyOptions { ComputeDiffId = false });

        Assert.Null(result.DiffId);
        Assert.Equal(tar.Length, result.UncompressedSize);
        Assert.Equal("b", File.ReadAllText(Path.Combine(Target, "a")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_DiffIdNotAskedForButExpected_IsStillChecked()
    {
        var tar = new LayerBuilder().File("a", "b").Tar();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ApplyAsync(LayerBuilder.Gzip(tar),
            new LayerApplyOptions { ComputeDiffId = false, ExpectedDiffId = "sha256:" + new string('0', 64) }));

        Assert.Contains("diff ID", error.Message);
    }

    [RootOnlyFact]
    public async Task ApplyAsync_EmptyExistingTarget_IsReplaced()
    {
        Directory.CreateDirectory(Target);
        await ApplyAsync(new LayerBuilder().File("a", "b").Tar());
        Assert.Equal("b", File.ReadAllText(Path.Combine(Target, "a")));
        Assert.Single(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_NonEmptyTarget_ThrowsAndKeepsIt()
    {
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "existing"), "keep");
        await Assert.ThrowsAsync<IOException>(() => ApplyAsync(new LayerBuilder().File("a", "b").Tar()));
        Assert.Equal(["existing"], Directory.EnumerateFileSystemEntries(Target).Select(Path.GetFileName));
        Assert.Single(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_LaterEntry_ReplacesEarlierOne()
    {
        var tar = new LayerBuilder().File("x", "file").Dir("x/").File("x/y", "inside").Dir("d/").File("d/z", "z").File("d", "now a file").Tar();
        await ApplyAsync(tar);
        Assert.Equal("inside", File.ReadAllText(Path.Combine(Target, "x/y")));
        Assert.Equal("now a file", File.ReadAllText(Path.Combine(Target, "d")));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_ImplicitDirectory_TakesOwnerModeAndXattrsFromLowerLayer()
    {
        var lower = Directory.CreateDirectory(_tmpfs.PathOf("lower/data")).FullName;
        Tmpfs.Run("chown", "1000:1000", lower);
        Tmpfs.Run("chmod", "0750", lower);
        Xattrs.SetNoFollow(lower, "user.kept", "v"u8);
        Xattrs.SetNoFollow(lower, "trusted.overlay.opaque", "y"u8);
        Directory.CreateDirectory(_tmpfs.PathOf("lower2"));
        File.CreateSymbolicLink(_tmpfs.PathOf("lower2/linked"), "/etc");
        var tar = new LayerBuilder().File("data/file", "x").File("linked/file", "y").File("nowhere/file", "z").Tar();

        await ApplyAsync(tar, new LayerApplyOptions { ParentDirectories = [_tmpfs.PathOf("lower2"), _tmpfs.PathOf("lower")] });

        Assert.Equal(("750", 1000, 1000), Summary("data"));
        Assert.Equal("v"u8.ToArray(), Xattrs.Get(Path.Combine(Target, "data"), "user.kept"));
        Assert.Null(Xattrs.Get(Path.Combine(Target, "data"), "trusted.overlay.opaque"));
        Assert.Equal(("755", 0, 0), Summary("linked")); // a link in the lower layer is not followed
        Assert.Equal(("755", 0, 0), Summary("nowhere"));
    }

    private (string Mode, int Uid, int Gid) Summary(string path)
    {
        var stat = FileStat.Of(Path.Combine(Target, path));
        return (stat.Mode, stat.Uid, stat.Gid);
    }

    private static string Nanos(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return $"{ticks / TimeSpan.TicksPerSecond}.{ticks % TimeSpan.TicksPerSecond * 100:D9}";
    }

    public void Dispose() => _tmpfs.Dispose();
}
