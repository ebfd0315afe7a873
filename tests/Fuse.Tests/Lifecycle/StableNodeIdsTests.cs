using PluggableSnapshotter.Fuse.Server;
using PluggableSnapshotter.Fuse.TestServer;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>Node ids numbered by walking the tree are the same for every build of the same tree.</summary>
public sealed class StableNodeIdsTests
{
    [Fact]
    public async Task NumberAsync_SameTreeBuiltTwice_GivesEveryPathTheSameId()
    {
        InMemory.MemoryDirectory first = KeptTree.Build(null);
        InMemory.MemoryDirectory second = KeptTree.Build(null);

        StableNodeIds firstIds = await StableNodeIds.NumberAsync(first, CancellationToken.None);
        StableNodeIds secondIds = await StableNodeIds.NumberAsync(second, CancellationToken.None);

        Assert.Equal(firstIds.Count, secondIds.Count);
        foreach ((string path, _) in KeptTree.Files())
        {
            string[] parts = path.Split('/');
            FuseNode a = ((InMemory.MemoryDirectory)first.Find(parts[0])!).Find(parts[1])!;
            FuseNode b = ((InMemory.MemoryDirectory)second.Find(parts[0])!).Find(parts[1])!;
            ulong id = firstIds.IdOf(a);
            Assert.Equal(id, secondIds.IdOf(b));
            Assert.Same(b, secondIds.Find(id));
            Assert.True(id > NodeTable.RootId && id < StableNodeIds.UnwalkedBit);
        }
    }

    [Fact]
    public async Task Find_IdNeverNumbered_ReturnsNull()
    {
        StableNodeIds ids = await StableNodeIds.NumberAsync(KeptTree.Build(null), CancellationToken.None);

        Assert.Null(ids.Find(0));
        Assert.Null(ids.Find(NodeTable.RootId));
        Assert.Null(ids.Find((ulong)ids.Count + 2));
        Assert.NotNull(ids.Find((ulong)ids.Count + 1));
    }
}
