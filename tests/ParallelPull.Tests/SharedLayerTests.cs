using PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests;

/// <summary>One image under several tags: its layers unpacked once, nothing kept once claimed or cleaned (root only: tmpfs).</summary>
public sealed class SharedLayerTests : WithRegistry
{
    [RootOnlyFact]
    public async Task MountParallelAsync_LayerOfAnImageAskedUnderAnotherTag_TakesTheUnpackAlreadyMadeAndEndsBothJobs()
    {
        await using var plugin = await PluginHarness.StartAsync();
        var first = await ImagePusher.PushAsync(Registry.Host, "tags/app:t1", TestLayers.Gzip(), TestLayers.Zstd());
        var second = await ImagePusher.PushAsync(Registry.Host, "tags/app:t2", TestLayers.Gzip(), TestLayers.Zstd());

        // ctr-remote's labels (no manifest digest): the tags' jobs have different keys.
        Assert.True((await plugin.FileSystem.MountParallelAsync(plugin.Request(first, 0, cri: false), [], CancellationToken.None)).IsMounted);
        var top = plugin.Request(second, 1, cri: false);
        Assert.True((await plugin.FileSystem.MountParallelAsync(top, [], CancellationToken.None)).IsMounted);

        Assert.Equal("second", File.ReadAllText(Path.Combine(top.Mountpoint, "etc/second")));
        Assert.Equal(2, plugin.Slots.UnpacksStarted);
        Assert.Equal(0, plugin.Jobs.Count); // t1's job ended with its last layer claimed under t2, not after the unclaimed timeout
        Assert.Equal(0, plugin.Slots.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(plugin.StateDirectory, "staging")));
    }

    [RootOnlyFact]
    public async Task CleanImageAsync_ImageCleanedUnderOneOfItsTags_DeletesTheBlobsKeptUnderEveryTag()
    {
        await using var plugin = await PluginHarness.StartAsync();
        var first = await ImagePusher.PushAsync(Registry.Host, "clean/app:t1", TestLayers.Gzip(), TestLayers.Zstd());
        var second = await ImagePusher.PushAsync(Registry.Host, "clean/app:t2", TestLayers.Gzip(), TestLayers.Zstd());
        await plugin.FileSystem.MountParallelAsync(plugin.Request(first, 0, cri: false), [], CancellationToken.None);
        await plugin.FileSystem.MountParallelAsync(plugin.Request(second, 1, cri: false), [], CancellationToken.None);
        Assert.Equal(2, plugin.Blobs.Count); // kept (discard_unpacked_layers: false) while the image is around

        // The host names the image by the labels of the snapshot removed last: here t2, though t1's pull fetched the blobs.
        await plugin.FileSystem.CleanImageAsync(second.Reference, CancellationToken.None);

        Assert.Equal(0, plugin.Blobs.Count);
        Assert.Empty(plugin.Leftovers());
    }
}
