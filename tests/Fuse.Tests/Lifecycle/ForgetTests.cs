using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>Kernel reference counting: FORGET and BATCH_FORGET release nodes (root only; drops the machine's dentry cache).</summary>
[Collection(KernelCacheCollection.Name)]
public sealed class ForgetTests
{
    [RootOnlyFact]
    public async Task DropCaches_AfterLookups_KernelForgetsNodes()
    {
        var root = new MemoryDirectory();
        MemoryDirectory many = root.AddDirectory("many");
        for (int i = 0; i < 2000; i++)
        {
            many.AddFile($"f{i}", Array.Empty<byte>());
        }

        await using TestMount mount = await TestMount.StartAsync(root);
        await Tool.CheckedAsync("ls", "-l", mount.PathOf("many"));
        int known = mount.Mount.KnownNodeCount;

        // Dentries and inodes dropped by the kernel come back as FORGET/BATCH_FORGET.
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "2");
        for (int i = 0; i < 100 && mount.Mount.KnownNodeCount >= known / 2; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(known > 2000, $"the kernel held {known} nodes after ls -l");
        Assert.True(mount.Mount.KnownNodeCount < known / 2, $"still {mount.Mount.KnownNodeCount} of {known} nodes after drop_caches");
        Assert.Equal(0, mount.Mount.OpenDirectoryCount);
    }
}
