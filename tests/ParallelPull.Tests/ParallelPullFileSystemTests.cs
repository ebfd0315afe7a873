using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests;

/// <summary>The backend through its plugin entry point against a loopback docker-registry (root only: tmpfs, ownership).</summary>
public sealed class ParallelPullFileSystemTests : WithRegistry
{
    /// <summary>Blob bytes a held pull gets before its gate closes: one 64 KiB chunk of the gzip layer, its blob file started.</summary>
    private const long MidPullBytes = 64 << 10;

    private static readonly Dictionary<string, string?> Chunked = new()
    {
        ["concurrent_download_chunk_size"] = "64kb",
        ["max_concurrent_downloads_per_image"] = "4",
        ["max_concurrent_unpacks_per_image"] = "2",
    };

    [RootOnlyFact]
    public async Task MountParallelAsync_GzipZstdAndPlainLayersInChunks_EachLayerLandsInItsMountpoint()
    {
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(Registry.Host, "mixed/app:v1", TestLayers.Gzip(), TestLayers.Zstd(), TestLayers.Plain());

        var requests = Enumerable.Range(0, 3).Select(i => plugin.Request(image, i)).ToArray();
        var results = await Task.WhenAll(requests.Select(r => plugin.FileSystem.MountParallelAsync(r, [], CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.IsMounted));
        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(requests[0].Mountpoint, "data/big")));
        Assert.Equal(("1000", "4755"), (FileStat.Of(Path.Combine(requests[0].Mountpoint, "bin/tool")).Uid.ToString(), FileStat.Of(Path.Combine(requests[0].Mountpoint, "bin/tool")).Mode));
        Assert.Equal("character special file", FileStat.Of(Path.Combine(requests[1].Mountpoint, "etc/first")).Type);
        Assert.Equal("second", File.ReadAllText(Path.Combine(requests[1].Mountpoint, "etc/second")));
        Assert.Equal("plain", File.ReadAllText(Path.Combine(requests[2].Mountpoint, "plain")));
        Assert.Equal(0, plugin.Jobs.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(plugin.StateDirectory, "staging")));
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_StargzLabelsLaterLayerFirst_WaitsAndUnpacks()
    {
        await using var plugin = await PluginHarness.StartAsync();
        var image = await ImagePusher.PushAsync(Registry.Host, "rpull/app:v1", TestLayers.Gzip(), TestLayers.Zstd());
        var first = plugin.Request(image, 0, cri: false);
        var second = plugin.Request(image, 1, cri: false);

        var waiting = plugin.FileSystem.MountParallelAsync(second, [], CancellationToken.None);
        var result = await plugin.FileSystem.MountParallelAsync(first, [], CancellationToken.None);

        Assert.True(result.IsMounted);
        Assert.True((await waiting).IsMounted);
        Assert.Equal("second", File.ReadAllText(Path.Combine(second.Mountpoint, "etc/second")));
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_ConnectionDroppedMidChunk_RetriesTheChunk()
    {
        using var proxy = new CuttingProxy(Registry.Port);
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(proxy.Host, "cut/app:v1", TestLayers.Gzip());
        proxy.CutOnceAfter(100_000); // inside a 64 KiB chunk of the layer (the manifest and config are small)

        var request = plugin.Request(image, 0);
        var result = await plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None);

        Assert.True(result.IsMounted);
        Assert.Equal(1, proxy.Cuts);
        Assert.Contains("Range: bytes=", proxy.Requests, StringComparison.Ordinal);
        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(request.Mountpoint, "data/big")));
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_RegistryIgnoresRanges_FetchesEachBlobInOneRequest()
    {
        using var proxy = new GatedProxy(Registry.Port) { HideRanges = true };
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(proxy.Host, "noranges/app:v1", TestLayers.Gzip());

        var request = plugin.Request(image, 0);
        var result = await plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None);

        Assert.True(result.IsMounted);
        Assert.Equal(1, proxy.BlobGets(image.Layers[0].Digest));
        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(request.Mountpoint, "data/big")));
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_TamperedBlob_FailsAndLeavesNothing()
    {
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(Registry.Host, "tampered/app:v1", TestLayers.Gzip());
        var stored = Registry.BlobDataPath(image.Layers[0].Digest);
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[^10] ^= 0x55; // in the gzip trailer: the digest cannot match
        await File.WriteAllBytesAsync(stored, bytes);
        var request = plugin.Request(image, 0);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None));

        Assert.Contains(image.Layers[0].Digest, error.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
        await plugin.FileSystem.CleanImageAsync(image.ManifestDigest, CancellationToken.None);
        Assert.Empty(plugin.Leftovers());
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_ImageMissingFromRegistry_FailsWithTheRegistryErrorAndKeepsNoJob()
    {
        await using var plugin = await PluginHarness.StartAsync();
        var image = await ImagePusher.PushAsync(Registry.Host, "present/app:v1", TestLayers.Plain());
        var missing = image with { Reference = $"{Registry.Host}/absent/app:v1", ManifestDigest = "sha256:" + new string('a', 64) };
        var request = plugin.Request(missing, 0);

        var error = await Assert.ThrowsAsync<PluggableSnapshotter.Registry.RegistryException>(
            () => plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None));

        Assert.True(error.IsNotFound, error.Message);
        Assert.Equal(0, plugin.Jobs.Count);
        Assert.Empty(plugin.Leftovers());
        Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
    }

    [RootOnlyFact]
    public async Task CleanImageAsync_MidPull_StopsTheJobRemovesStagingAndTheNextPullSucceeds()
    {
        using var proxy = new GatedProxy(Registry.Port);
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(proxy.Host, "clean/app:v1", TestLayers.Gzip(), TestLayers.Zstd());
        var gate = proxy.Hold(MidPullBytes);
        var request = plugin.Request(image, 0);
        try
        {
            var pulling = plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None);
            await gate.Reached.WaitAsync(TimeSpan.FromSeconds(60));
            await WaitUntilAsync(() => plugin.Leftovers().Any(p => p.Contains("/blobs/", StringComparison.Ordinal)));
            await plugin.FileSystem.CleanImageAsync(image.ManifestDigest, CancellationToken.None);

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pulling);
            Assert.Contains("cleaned", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, plugin.Jobs.Count);
            Assert.Empty(plugin.Leftovers());
            Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
        }
        finally
        {
            gate.Release();
        }

        var retry = plugin.Request(image, 0);
        Assert.True((await plugin.FileSystem.MountParallelAsync(retry, [], CancellationToken.None)).IsMounted);
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_OnlyWaiterCancelled_AbandonsTheJob()
    {
        using var proxy = new GatedProxy(Registry.Port);
        await using var plugin = await PluginHarness.StartAsync(Chunked);
        var image = await ImagePusher.PushAsync(proxy.Host, "cancel/app:v1", TestLayers.Gzip());
        var gate = proxy.Hold(MidPullBytes);
        using var cancel = new CancellationTokenSource();
        var request = plugin.Request(image, 0);
        try
        {
            var pulling = plugin.FileSystem.MountParallelAsync(request, [], cancel.Token);
            await gate.Reached.WaitAsync(TimeSpan.FromSeconds(60));
            await WaitUntilAsync(() => plugin.Leftovers().Any(p => p.Contains("/blobs/", StringComparison.Ordinal)));
            await cancel.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pulling);
            Assert.Equal(0, plugin.Jobs.Count);
            Assert.Empty(plugin.Leftovers());
            Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
        }
        finally
        {
            gate.Release();
        }
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_LayerSharedByTwoImagesPulledTogether_FetchesItOnce()
    {
        using var proxy = new GatedProxy(Registry.Port);
        await using var plugin = await PluginHarness.StartAsync();
        var shared = TestLayers.Gzip();
        var first = await ImagePusher.PushAsync(proxy.Host, "shared/one:v1", TestLayers.Plain(), shared);
        var second = await ImagePusher.PushAsync(proxy.Host, "shared/two:v1", TestLayers.Zstd(), shared);
        var sharedDigest = first.Layers[1].Digest;
        // The shared layer's download waits until both images hold its slot: the second pull must join the first.
        var gate = proxy.Hold(0, sharedDigest);

        var requests = new[] { plugin.Request(first, 0), plugin.Request(second, 0), plugin.Request(first, 1), plugin.Request(second, 1) };
        Task<MountResult[]> mounting;
        try
        {
            mounting = Task.WhenAll(requests.Select(r => plugin.FileSystem.MountParallelAsync(r, [], CancellationToken.None)));
            await WaitUntilAsync(() => plugin.Slots.Holders(sharedDigest) >= 2 || mounting.IsCompleted);
        }
        finally
        {
            gate.Release();
        }
        var results = await mounting;

        Assert.All(results, r => Assert.True(r.IsMounted));
        Assert.Equal(1, proxy.BlobGets(first.Layers[1].Digest));
        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(requests[2].Mountpoint, "data/big")));
        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(requests[3].Mountpoint, "data/big")));
    }

    [RootOnlyFact]
    public async Task ExpireIdleAsync_JobNobodyClaims_IsStoppedAndItsStagingRemoved()
    {
        await using var plugin = await PluginHarness.StartAsync();
        var image = await ImagePusher.PushAsync(Registry.Host, "idle/app:v1", TestLayers.Gzip(), TestLayers.Zstd());
        Assert.True((await plugin.FileSystem.MountParallelAsync(plugin.Request(image, 0), [], CancellationToken.None)).IsMounted);
        await WaitUntilAsync(() => plugin.Leftovers().Any(p => p.Contains("/staging/", StringComparison.Ordinal)));

        await plugin.Jobs.ExpireIdleAsync(DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal(0, plugin.Jobs.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(plugin.StateDirectory, "staging")));
    }

    [RootOnlyFact]
    public async Task MountParallelAsync_ExternalDecompressor_UnpacksThroughIt()
    {
        await using var plugin = await PluginHarness.StartAsync(new Dictionary<string, string?>
        {
            ["decompress_streams:gzip:path"] = "/usr/bin/unpigz",
            ["decompress_streams:gzip:args:0"] = "-d",
            ["decompress_streams:gzip:args:1"] = "-c",
        });
        var image = await ImagePusher.PushAsync(Registry.Host, "unpigz/app:v1", TestLayers.Gzip());
        var request = plugin.Request(image, 0);

        Assert.True((await plugin.FileSystem.MountParallelAsync(request, [], CancellationToken.None)).IsMounted);

        Assert.Equal(TestLayers.BigContent, File.ReadAllText(Path.Combine(request.Mountpoint, "data/big")));
    }

    [RootOnlyFact]
    public async Task StartAsync_StagingLeftByAnEarlierRun_IsWiped()
    {
        await using var plugin = await PluginHarness.StartAsync();
        Directory.CreateDirectory(Path.Combine(plugin.StateDirectory, "staging", "old-job", "layer"));
        File.WriteAllText(Path.Combine(plugin.StateDirectory, "blobs", "sha256-old"), "a blob from an earlier run");

        await using var restarted = await RestartOnAsync(plugin.StateDirectory);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(plugin.StateDirectory, "staging")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(plugin.StateDirectory, "blobs")));
    }

    // A second plugin instance on the same state directory, as after a daemon restart.
    private static async Task<IAsyncDisposable> RestartOnAsync(string stateDirectory)
    {
        var services = new ServiceCollection().AddLogging();
        new ParallelPullPlugin().ConfigureServices(services, new PluginContext
        {
            Name = "parallel-pull",
            Settings = new ConfigurationBuilder().Build(),
            SnapshotterRoot = Path.GetDirectoryName(stateDirectory)!,
            StateDirectory = stateDirectory,
        });
        var provider = services.BuildServiceProvider();
        foreach (var service in provider.GetServices<IHostedService>()) await service.StartAsync(CancellationToken.None);
        return provider;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }
}
