using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>One tree served by several mounts, one after another and at once (root only).</summary>
public sealed class RemountTests
{
    [RootOnlyFact]
    public async Task Mount_SameTreeTwiceInTurn_ServesItBothTimes()
    {
        var root = new MemoryDirectory();
        root.AddDirectory("dir").AddFile("file", "content"u8.ToArray());

        for (int i = 0; i < 2; i++)
        {
            await using TestMount mount = await TestMount.StartAsync(root);
            Assert.Equal("content", await File.ReadAllTextAsync(mount.PathOf("dir/file")));
        }
    }

    [RootOnlyFact]
    public async Task Mount_SameTreeTwiceAtOnce_KeepsInodeNumbersAlike()
    {
        var root = new MemoryDirectory();
        root.AddDirectory("dir").AddFile("file", "content"u8.ToArray());
        await using TestMount first = await TestMount.StartAsync(root);
        await using TestMount second = await TestMount.StartAsync(root);

        string a = await Tool.CheckedAsync("stat", "-c", "%i", first.PathOf("dir/file"));
        string b = await Tool.CheckedAsync("stat", "-c", "%i", second.PathOf("dir/file"));

        Assert.Equal(a, b);
        Assert.Equal("content", await File.ReadAllTextAsync(second.PathOf("dir/file")));
    }
}
