using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Tree;

/// <summary>Which files of a layer's tree are fetched right after its mount: /etc/passwd and /etc/group, when regular and not empty.</summary>
public sealed class StartupFilesTests
{
    [Fact]
    public void In_BothFiles_YieldsPasswdThenGroupAtTheirOffsets()
    {
        var root = Tree(("passwd", Regular(offset: 4096, size: 120)), ("group", Regular(offset: 8192, size: 40)), ("hosts", Regular(offset: 0, size: 9)));

        Assert.Equal([(4096L, 120L), (8192L, 40L)], StartupFiles.In(root));
    }

    [Fact]
    public void In_OnlyGroup_YieldsGroup()
    {
        var root = Tree(("group", Regular(offset: 512, size: 40)));

        Assert.Equal([(512L, 40L)], StartupFiles.In(root));
    }

    [Fact]
    public void In_NoEtc_YieldsNothing()
    {
        var root = LayerInode.NewDirectory(0x1ED);
        root.Children!["data"] = Regular(offset: 0, size: 10);

        Assert.Empty(StartupFiles.In(root));
    }

    [Fact]
    public void In_EmptyPasswdSymlinkGroup_YieldsNothing()
    {
        var link = new LayerInode(LayerInodeType.Symlink) { LinkTarget = "/usr/share/group", Size = 16 };
        var root = Tree(("passwd", Regular(offset: 4096, size: 0)), ("group", link));

        Assert.Empty(StartupFiles.In(root));
    }

    [Fact]
    public void In_PasswdADirectoryGroupAWhiteout_YieldsNothing()
    {
        var directory = LayerInode.NewDirectory(0x1ED);
        directory.Size = 4096;
        directory.Children!["inner"] = Regular(offset: 100, size: 10);
        var whiteout = new LayerInode(LayerInodeType.CharacterDevice);
        var root = Tree(("passwd", directory), ("group", whiteout));

        Assert.Empty(StartupFiles.In(root));
    }

    [Fact]
    public void In_EtcASymlink_YieldsNothing()
    {
        var root = LayerInode.NewDirectory(0x1ED);
        root.Children!["etc"] = new LayerInode(LayerInodeType.Symlink) { LinkTarget = "private/etc", Size = 11 };

        Assert.Empty(StartupFiles.In(root));
    }

    private static LayerInode Tree(params (string Name, LayerInode Node)[] inEtc)
    {
        var root = LayerInode.NewDirectory(0x1ED);
        var etc = LayerInode.NewDirectory(0x1ED);
        root.Children!["etc"] = etc;
        foreach (var (name, node) in inEtc) etc.Children![name] = node;
        return root;
    }

    private static LayerInode Regular(long offset, long size) => new(LayerInodeType.Regular) { DataOffset = offset, Size = size, Permissions = 0x1A4 };
}
