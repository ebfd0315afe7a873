using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>One tree and one set of FUSE nodes per layer digest, shared by snapshots whose lower chains differ.</summary>
public sealed class SharedLayerTests
{
    [Fact]
    public async Task ForChain_TwoChainsWithDifferentLowers_SeeTheirOwnImplicitDirectoryAndTheSameFileNodes()
    {
        var shared = await SharedAsync(new LayerTarBuilder().File("data/sub/f", "x").File("data/g", "y").File("top", "z"));
        var lowerA = await TreeAsync(new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1E8, uid: 1000, gid: 1000)); // 0750
        var lowerB = await TreeAsync(new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1C0, uid: 7, gid: 8)); // 0700

        var chainA = LayerView.ForChain(LowerDirectoryAttributes.Resolve(shared.Tree, [lowerA]), shared.Nodes);
        var chainB = LayerView.ForChain(LowerDirectoryAttributes.Resolve(shared.Tree, [lowerB]), shared.Nodes);

        Assert.Equal((0x1E8u, 1000u, 1000u), Attributes(Node(chainA, "data")));
        Assert.Equal((0x1C0u, 7u, 8u), Attributes(Node(chainB, "data")));
        Assert.Equal((0x1EDu, 0u, 0u), Attributes(Node(shared.Nodes, "data"))); // the shared tree stays as the layer says
        Assert.Same(Node(shared.Nodes, "data/sub/f"), Node(chainA, "data/sub/f"));
        Assert.Same(Node(shared.Nodes, "data/sub/f"), Node(chainB, "data/sub/f"));
        Assert.Same(Node(shared.Nodes, "data/sub"), Node(chainA, "data/sub")); // implicit too, but no lower has it
        Assert.Same(Node(shared.Nodes, "top"), Node(chainB, "top"));
        Assert.Equal(Node(shared.Nodes, "data").Inode.Ino, Node(chainA, "data").Inode.Ino);
    }

    [Fact]
    public async Task ForChain_ChainCopies_ListTheSameEntriesInTheSameOrderAsTheSharedTree()
    {
        // Node ids kept across a restart (lib/Fuse's keeper) are numbered by a walk of readdir order: a chain's view must walk alike.
        var shared = await SharedAsync(new LayerTarBuilder().File("b/x/1", "1").File("a/2", "2").File("b/y", "3").File("c", "4"));
        var lower = await TreeAsync(new LayerTarBuilder().Directory("b/", (UnixFileMode)0x1C0, uid: 5).Directory("b/x/", (UnixFileMode)0x1C0, uid: 6));

        var chain = LayerView.ForChain(LowerDirectoryAttributes.Resolve(shared.Tree, [lower]), shared.Nodes);

        Assert.NotSame(shared.Nodes, chain);
        Assert.Equal(Walk(shared.Nodes), Walk(chain));
        Assert.Equal(6u, Node(chain, "b/x").Inode.Uid);
    }

    [Fact]
    public async Task Resolve_ImplicitDirectoryWithOnlyItsAttributesChanged_SharesItsChildMapAndEntries()
    {
        // A chain copies only what it changes: data's children are the shared ones, so its copy lists them without a copy.
        var shared = await SharedAsync(new LayerTarBuilder().File("data/sub/f", "x").File("data/g", "y").File("top", "z"));
        var lower = await TreeAsync(new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1E8, uid: 1000, gid: 1000)); // 0750

        var chainTree = LowerDirectoryAttributes.Resolve(shared.Tree, [lower]);
        var chain = LayerView.ForChain(chainTree, shared.Nodes);

        var (sharedData, chainData) = (shared.Tree.Children!["data"], chainTree.Children!["data"]);
        Assert.NotSame(sharedData, chainData);
        Assert.Same(sharedData.Children, chainData.Children);
        Assert.NotSame(shared.Tree.Children, chainTree.Children); // the root lists the chain's copy of data
        Assert.Same(shared.Tree.Children["top"], chainTree.Children["top"]);
        Assert.Same(((LayerDirectoryNode)Node(shared.Nodes, "data")).Entries, ((LayerDirectoryNode)Node(chain, "data")).Entries);
        Assert.Equal(Walk(shared.Nodes), Walk(chain));
    }

    [Fact]
    public async Task Resolve_ImplicitDirectoryWithSameAttributes_CopiesNoChildMap()
    {
        // data/sub is implicit in both layers; the lower changes only data: sub keeps the shared inode and map.
        var shared = await SharedAsync(new LayerTarBuilder().File("data/sub/f", "x").File("data/g", "y"));
        var lower = await TreeAsync(new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1C0, uid: 7).File("data/sub/h", "w"));

        var chainTree = LowerDirectoryAttributes.Resolve(shared.Tree, [lower]);

        var sharedSub = shared.Tree.Children!["data"].Children!["sub"];
        Assert.Same(sharedSub, chainTree.Children!["data"].Children!["sub"]);
        Assert.Same(shared.Tree.Children["data"].Children, chainTree.Children["data"].Children);
    }

    [Fact]
    public async Task Resolve_NoLowerChangesAnImplicitDirectory_ReturnsTheSharedTreeAndNodes()
    {
        var shared = await SharedAsync(new LayerTarBuilder().File("new/f", "x"));
        var lower = await TreeAsync(new LayerTarBuilder().File("other", "y"));

        var chainTree = LowerDirectoryAttributes.Resolve(shared.Tree, [lower]);

        Assert.Same(shared.Tree, chainTree);
        Assert.Same(shared.Nodes, LayerView.ForChain(chainTree, shared.Nodes));
    }

    [Fact]
    public void SharedLayers_ForgottenDigest_IsBuiltAgain()
    {
        var layers = new SharedLayers();
        var builds = 0;
        SharedLayer Build()
        {
            builds++;
            return new SharedLayer(LayerInode.NewDirectory(0x1ED), new NoContent(), NullLogger.Instance);
        }

        var repository = ImageReference.Parse("127.0.0.1:5000/team/app");
        var first = layers.GetOrBuild(repository, "sha256:a", Build);
        Assert.Same(first, layers.GetOrBuild(repository, "sha256:a", Build));
        layers.Forget(repository, "sha256:a");

        Assert.Equal(0, layers.Count);
        Assert.NotSame(first, layers.GetOrBuild(repository, "sha256:a", Build));
        Assert.Equal(2, builds);
    }

    [Fact]
    public void SharedLayers_SameDigestFromAnotherRepository_GetsItsOwnLayer()
    {
        // Content reads through the repository it was mounted from (its credentials and mirrors): not shared across.
        var layers = new SharedLayers();
        SharedLayer Build() => new(LayerInode.NewDirectory(0x1ED), new NoContent(), NullLogger.Instance);

        var mine = layers.GetOrBuild(ImageReference.Parse("127.0.0.1:5000/team/app"), "sha256:a", Build);
        var theirs = layers.GetOrBuild(ImageReference.Parse("127.0.0.1:5000/other/app"), "sha256:a", Build);

        Assert.NotSame(mine, theirs);
        Assert.Equal(2, layers.Count);
    }

    [Fact]
    public void SharedLayers_BuildThatThrows_IsNotKept()
    {
        var layers = new SharedLayers();
        var repository = ImageReference.Parse("127.0.0.1:5000/team/app");

        Assert.Throws<InvalidDataException>(() => layers.GetOrBuild(repository, "sha256:a", () => throw new InvalidDataException("bad zTOC")));

        Assert.Equal(0, layers.Count);
        Assert.Null(layers.Find(repository, "sha256:a"));
    }

    [Fact]
    public void SetChildren_NamesBeyondTheBasicPlane_AreFoundByLookup()
    {
        // "\uFB01" sorts after "\U0001F600" by UTF-8 bytes but before it in ordinal (UTF-16) order, the tree's order.
        var root = LayerInode.NewDirectory(0x1ED);
        foreach (var name in new[] { "a", "\uFB01", "\U0001F600", "z" }) root.Children![name] = new LayerInode(LayerInodeType.Regular);
        var nodes = LayerView.Build(root, OwnerMapping.Identity, new NoContent(), NullLogger.Instance);

        foreach (var name in root.Children!.Keys) Assert.Same(root.Children[name], nodes.Find(System.Text.Encoding.UTF8.GetBytes(name))!.Inode);
        Assert.Null(nodes.Find("b"u8));
    }

    private static async Task<LayerInode> TreeAsync(LayerTarBuilder builder) => ZtocLayerEntries.BuildTree((await builder.BuildZtocAsync()).Ztoc, userXattr: false);

    private static async Task<SharedLayer> SharedAsync(LayerTarBuilder builder) =>
        new(await TreeAsync(builder), new NoContent(), NullLogger.Instance);

    private static (uint, uint, uint) Attributes(LayerNode node) => (node.Inode.Permissions, node.Inode.Uid, node.Inode.Gid);

    private static LayerNode Node(LayerDirectoryNode root, string path)
    {
        LayerNode current = root;
        foreach (var part in path.Split('/')) current = ((LayerDirectoryNode)current).Find(System.Text.Encoding.UTF8.GetBytes(part))!;
        return current;
    }

    /// <summary>Breadth first, entries in readdir order, as lib/Fuse numbers kept nodes: (path, st_ino) per entry.</summary>
    private static List<(string, ulong)> Walk(LayerDirectoryNode root)
    {
        var walked = new List<(string, ulong)>();
        var pending = new Queue<(LayerDirectoryNode, string)>();
        pending.Enqueue((root, ""));
        while (pending.TryDequeue(out var item))
        {
            foreach (var entry in item.Item1.Entries)
            {
                var path = item.Item2 + "/" + System.Text.Encoding.UTF8.GetString(entry.Name.Span);
                walked.Add((path, entry.Ino));
                if (entry.Node is LayerDirectoryNode directory) pending.Enqueue((directory, path));
            }
        }
        return walked;
    }

    private sealed class NoContent : ILayerContent
    {
        public string LayerDigest => "sha256:" + new string('0', 64);
        public string? LocalRoot { get; set; }
        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) => throw new IOException("no content in this test");
    }
}
