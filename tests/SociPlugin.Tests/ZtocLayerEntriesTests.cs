using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class ZtocLayerEntriesTests
{
    [Fact]
    public async Task Build_WhiteoutEntry_BecomesCharacterDeviceZeroZeroOwnedAsTheEntry()
    {
        var root = await BuildAsync(new LayerTarBuilder().Directory("data/").File("data/.wh.gone", "", uid: 5, gid: 6));

        var whiteout = Lookup(root, "data/gone");
        Assert.Equal(LayerInodeType.CharacterDevice, whiteout.Type);
        // containerd's OverlayConvertWhiteout chowns the device to the whiteout entry's uid/gid (tests/Fidelity.Tests checks it).
        Assert.Equal((0u, 0u, 5u, 6u), (whiteout.DevMajor, whiteout.DevMinor, whiteout.Uid, whiteout.Gid));
        Assert.False(Lookup(root, "data").Children!.ContainsKey(".wh.gone"));
    }

    [Fact]
    public async Task Build_OpaqueMarker_SetsTrustedOpaqueXattrOnItsDirectory()
    {
        var root = await BuildAsync(new LayerTarBuilder().Directory("data/opaque/").File("data/opaque/.wh..wh..opq", "").File("data/opaque/kept", "k"));

        var directory = Lookup(root, "data/opaque");
        Assert.Equal("y", Encoding.UTF8.GetString(directory.Xattrs!["trusted.overlay.opaque"]));
        Assert.Equal(["kept"], directory.Children!.Keys);
    }

    [Fact]
    public async Task Build_OpaqueMarkerWithUserXattr_SetsUserOpaqueXattr()
    {
        var (ztoc, _) = await new LayerTarBuilder().Directory("o/").File("o/.wh..wh..opq", "").BuildZtocAsync();

        var root = ZtocLayerEntries.BuildTree(ztoc, userXattr: true);

        Assert.Equal(["user.overlay.opaque"], Lookup(root, "o").Xattrs!.Keys);
    }

    [Fact]
    public async Task Build_HardLink_SharesOneInodeWithLinkCountTwo()
    {
        var root = await BuildAsync(new LayerTarBuilder().File("a/original", "linked\n").HardLink("a/link", "a/original"));

        var original = Lookup(root, "a/original");
        Assert.Same(original, Lookup(root, "a/link"));
        Assert.Equal(2u, original.LinkCount);
        Assert.Equal(7, original.Size);
    }

    [Fact]
    public async Task Build_HardLinkToMissingTarget_ThrowsInvalidDataNamingTheEntry()
    {
        var (ztoc, _) = await new LayerTarBuilder().HardLink("link", "nowhere").BuildZtocAsync();

        var error = Assert.Throws<InvalidDataException>(() => ZtocLayerEntries.BuildTree(ztoc, userXattr: false));
        Assert.Contains("link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_PaxXattrs_BecomeXattrsWithoutThePrefix()
    {
        var root = await BuildAsync(new LayerTarBuilder().File("f", "x", xattrs: new Dictionary<string, string> { ["user.test"] = "value" }));

        var file = Lookup(root, "f");
        Assert.Equal(["user.test"], file.Xattrs!.Keys);
        Assert.Equal("value", Encoding.UTF8.GetString(file.Xattrs["user.test"]));
    }

    [Fact]
    public async Task Build_ModesOwnersAndTimes_AreKeptWithSpecialBits()
    {
        var root = await BuildAsync(new LayerTarBuilder()
            .Directory("sticky/", (UnixFileMode)0x3FF) // 01777
            .File("setuid", "#!/bin/sh\n", (UnixFileMode)0x9ED, uid: 1000, gid: 100)); // 04755

        Assert.Equal(0x3FFu, Lookup(root, "sticky").Permissions);
        var file = Lookup(root, "setuid");
        Assert.Equal((0x9EDu, 1000u, 100u), (file.Permissions, file.Uid, file.Gid));
        Assert.Equal(UnixTime.FromDateTimeOffset(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)), file.ModificationTime);
    }

    [Fact]
    public async Task Build_ImplicitParents_AreCreatedAsRootOwned0755Directories()
    {
        var root = await BuildAsync(new LayerTarBuilder().File("x/y/z", "deep"));

        var parent = Lookup(root, "x/y");
        Assert.True(parent.IsDirectory);
        Assert.Equal((0x1EDu, 0u, 0u), (parent.Permissions, parent.Uid, parent.Gid));
        Assert.Equal(3u, Lookup(root, "x").LinkCount); // ".", its entry in the root, and y's ".."
    }

    [Fact]
    public async Task Build_SymlinkAndDevice_KeepTargetAndNumbers()
    {
        var root = await BuildAsync(new LayerTarBuilder().Symlink("link", "../target").CharDevice("null", 1, 3));

        Assert.Equal("../target", Lookup(root, "link").LinkTarget);
        var device = Lookup(root, "null");
        Assert.Equal((LayerInodeType.CharacterDevice, 1u, 3u), (device.Type, device.DevMajor, device.DevMinor));
    }

    [Fact]
    public async Task Build_SameNameTwice_LaterEntryWins()
    {
        var root = await BuildAsync(new LayerTarBuilder().File("f", "old").File("f", "newer"));

        Assert.Equal(5, Lookup(root, "f").Size);
    }

    [Fact]
    public async Task BuildTree_RootEntry_IsSkippedAsContainerdSkipsIt()
    {
        var root = await BuildAsync(new LayerTarBuilder().Directory("./", (UnixFileMode)0x1E8, uid: 7, gid: 7).File("f", "x"));

        Assert.Equal((0x1EDu, 0u, 0u), (root.Permissions, root.Uid, root.Gid));
        Assert.Equal(["f"], root.Children!.Keys);
    }

    [Fact]
    public async Task BuildTree_TrustedXattr_IsNotServed()
    {
        var root = await BuildAsync(new LayerTarBuilder().File("f", "x", xattrs: new Dictionary<string, string> { ["trusted.secret"] = "s", ["user.kept"] = "k" }));

        Assert.Equal(["user.kept"], Lookup(root, "f").Xattrs!.Keys);
    }

    [Fact]
    public void ToLayerEntry_NanosecondModTime_KeepsEveryNanosecond()
    {
        var entry = ZtocLayerEntries.ToLayerEntry(new FileMetadata { Name = "f", Type = TarEntryTypes.Regular, ModTime = "2024-05-06T07:08:09.123456789Z" });

        Assert.Equal(new UnixTime(1714979289, 123456789), entry.ModificationTime);
    }

    private static async Task<LayerInode> BuildAsync(LayerTarBuilder layer)
    {
        var (ztoc, _) = await layer.BuildZtocAsync();
        return ZtocLayerEntries.BuildTree(ztoc, userXattr: false);
    }

    private static LayerInode Lookup(LayerInode root, string path)
    {
        var current = root;
        foreach (var part in path.Split('/'))
        {
            Assert.True(current.Children?.ContainsKey(part) == true, $"{path}: no {part}");
            current = current.Children![part];
        }
        return current;
    }
}
