using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Tree;

/// <summary><see cref="LayerInode.AnyXattrsBelow"/>: what decides whether a layer's mount answers xattr requests at all.</summary>
public sealed class LayerInodeXattrsTests
{
    [Fact]
    public void AnyXattrsBelow_TreeWithoutAny_IsFalse()
    {
        Assert.False(Tree().AnyXattrsBelow());
    }

    [Theory]
    [InlineData("")] // the root itself
    [InlineData("usr")]
    [InlineData("usr/bin")]
    [InlineData("usr/bin/ping")]
    public void AnyXattrsBelow_OneXattrAnywhere_IsTrue(string path)
    {
        var root = Tree();
        var inode = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(root, (directory, name) => directory.Children![name]);
        inode.SetXattr(path.EndsWith("ping", StringComparison.Ordinal) ? "security.capability" : "trusted.overlay.opaque", [1, 0, 0, 2]);

        Assert.True(root.AnyXattrsBelow());
    }

    private static LayerInode Tree()
    {
        var root = LayerInode.NewDirectory(0x1ED);
        var usr = LayerInode.NewDirectory(0x1ED);
        var bin = LayerInode.NewDirectory(0x1ED);
        root.Children!["usr"] = usr;
        root.Children["etc"] = LayerInode.NewDirectory(0x1ED);
        usr.Children!["bin"] = bin;
        bin.Children!["ping"] = new LayerInode(LayerInodeType.Regular) { Permissions = 0x1ED, Size = 10 };
        bin.Children["sh"] = new LayerInode(LayerInodeType.Regular) { Permissions = 0x1ED, Size = 20 };
        return root;
    }
}
