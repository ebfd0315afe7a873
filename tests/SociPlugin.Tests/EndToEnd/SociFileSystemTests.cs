using Mono.Unix.Native;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>The backend on its own against the loopback registry (root only: real FUSE mounts): discovery outcomes, reads, id-mapped views.</summary>
[Collection(SociImagesCollection.Name)]
public sealed class SociFileSystemTests(SociImages images) : IAsyncLifetime
{
    private static readonly string ZeroDigest = "sha256:" + new string('0', 64);
    private readonly RegistryClient _registry = new();
    private SociFileSystem _fileSystem = null!;
    private string _root = "";

    public Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return Task.CompletedTask;
        _root = System.IO.Directory.CreateDirectory(images.Directory.Combine("fs-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var options = new SociBackendOptions();
        _fileSystem = TestBackend.Create(_registry, options, System.IO.Path.Combine(_root, "state"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_fileSystem is not null) await _fileSystem.DisposeAsync();
        if (_root.Length > 0) MountTable.UnmountUnder(_root);
        _registry.Dispose();
    }

    [RootOnlyFact]
    public async Task MountAsync_IndexedLayer_ServesFilesWithOwnersAndContentAndLabelsTheIndex()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);

        var result = await _fileSystem.MountAsync(layer, ct);

        Assert.Equal(MountOutcome.Mounted, result.Outcome);
        Assert.StartsWith("sha256:", result.Labels![SnapshotLabels.SociIndexDigest], StringComparison.Ordinal);
        var file = Path.Combine(layer.Mountpoint, "data/nested/deeper/file");
        Assert.Equal("deep\n", await File.ReadAllTextAsync(file, ct));
        Assert.Equal(0, Syscall.lstat(file, out var stat));
        Assert.Equal((1000u, 100u), (stat.st_uid, stat.st_gid));
        var big = await File.ReadAllLinesAsync(Path.Combine(layer.Mountpoint, "data/big"), ct);
        Assert.Equal(Enumerable.Range(0, big.Length).Select(i => $"line {i} of a large file in a test layer"), big);
        await _fileSystem.CheckAsync(layer, ct);

        await _fileSystem.UnmountAsync(layer.Mountpoint, ct);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(layer.Mountpoint));
    }

    [RootOnlyFact]
    public async Task MountAsync_SameLayerTwice_SharesOneTreeUntilTheLastUnmount()
    {
        var ct = SociImages.Timeout;
        var first = await RequestAsync(images.Converted, layerIndex: 1, ct);
        var second = await RequestAsync(images.Converted, layerIndex: 1, ct);
        Assert.True((await _fileSystem.MountAsync(first, ct)).IsMounted);
        Assert.True((await _fileSystem.MountAsync(second, ct)).IsMounted);

        // One tree: the same inode numbers and content in both snapshots.
        var (a, b) = (Path.Combine(first.Mountpoint, "data/nested/deeper/file"), Path.Combine(second.Mountpoint, "data/nested/deeper/file"));
        Assert.Equal(0, Syscall.stat(a, out var statA));
        Assert.Equal(0, Syscall.stat(b, out var statB));
        Assert.Equal(statA.st_ino, statB.st_ino);
        Assert.Equal(await File.ReadAllTextAsync(a, ct), await File.ReadAllTextAsync(b, ct));
        Assert.Equal(1, _fileSystem.SharedLayerCount);

        await _fileSystem.UnmountAsync(first.Mountpoint, ct);
        Assert.Equal(1, _fileSystem.SharedLayerCount);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(b, ct));
        await _fileSystem.UnmountAsync(second.Mountpoint, ct);
        Assert.Equal(0, _fileSystem.SharedLayerCount);
    }

    [RootOnlyFact]
    public async Task Read_RegistryStopsAnswering_EioWithinTheDeadlineCachedFilesStillReadAndRecoversWhenItAnswers()
    {
        var ct = SociImages.Timeout;
        var options = new SociBackendOptions
        {
            Fetch = new FetchOptions { AttemptTimeoutMilliseconds = 500, TimeoutMilliseconds = 2000 },
            Cache = new SociCacheOptions { ReadaheadSpans = 0 },
        };
        await using var backend = TestBackend.Create(_registry, options, System.IO.Path.Combine(_root, "state-hung"), spanEntries: 64);
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);
        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        var cached = Path.Combine(layer.Mountpoint, "data/nested/deeper/file");
        Assert.Equal("deep\n", await File.ReadAllTextAsync(cached, ct));
        var big = Path.Combine(layer.Mountpoint, "data/big");

        images.Registry.Pause();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<IOException>(() => File.ReadAllBytesAsync(big, ct));
            // The paused registry never answers: without the 2 s deadline the read would wait for the test's 6-minute
            // token. The bound is loose on purpose (CI machines run this under heavy load; 6.5 s was seen at load 30).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"EIO after {clock.Elapsed}, the deadline is 2 s");
            Assert.Contains("Input/output error", error.Message, StringComparison.Ordinal);
            Assert.Equal("deep\n", await File.ReadAllTextAsync(cached, ct)); // spans held already need no registry
        }
        finally
        {
            images.Registry.Resume();
        }

        var lines = await File.ReadAllLinesAsync(big, ct); // the first read after the registry answers again succeeds
        Assert.Equal(Enumerable.Range(0, lines.Length).Select(i => $"line {i} of a large file in a test layer"), lines);
    }

    [RootOnlyFact]
    public async Task Fill_BlobDoesNotMatchItsDigest_StoresNothingAndTheMountKeepsServingVerifiedSpans()
    {
        var ct = SociImages.Timeout;
        var options = new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0 } };
        var state = System.IO.Path.Combine(_root, "state-tampered");
        await using var backend = TestBackend.Create(_registry, options, state, fill: true);
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);
        var blob = images.Registry.BlobDataPath(layer.LayerDigest!);
        var original = await File.ReadAllBytesAsync(blob, ct);
        var tampered = original.ToArray();
        tampered[^10] ^= 0x55; // in the gzip trailer: no span a file needs, but the layer digest cannot match
        await File.WriteAllBytesAsync(blob, tampered, ct);
        try
        {
            Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string? fillState = null;
            while (fillState is not "failed" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
                fillState = StoreState(state, layer.LayerDigest!);
            }

            Assert.Equal("failed", fillState);
            // The failed fill's files go to the store's trash under its lock and are deleted right after.
            var store = System.IO.Path.Combine(state, "store");
            var emptied = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (System.IO.Directory.EnumerateFileSystemEntries(store).Any() && DateTime.UtcNow < emptied) await Task.Delay(50, ct);
            Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(store));
            Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "data/nested/deeper/file"), ct));
        }
        finally
        {
            await File.WriteAllBytesAsync(blob, original, CancellationToken.None);
        }
    }

    private static string? StoreState(string state, string digest) =>
        StoreStatusFile.Read(System.IO.Path.Combine(state, "status.json"))?.GetValueOrDefault(digest);

    [RootOnlyFact]
    public async Task MountAsync_LayerMissingFromSparseIndex_ReturnsNoZtocAndLeavesMountpointEmpty()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Sparse, layerIndex: 2, ct);

        var result = await _fileSystem.MountAsync(layer, ct);

        Assert.Equal(MountOutcome.NoZtoc, result.Outcome);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(layer.Mountpoint));
        Assert.Equal(MountOutcome.Mounted, (await _fileSystem.MountAsync(await RequestAsync(images.Sparse, layerIndex: 0, ct), ct)).Outcome);
    }

    [RootOnlyFact]
    public async Task MountAsync_UnindexedImage_ReturnsNoIndex()
    {
        var ct = SociImages.Timeout;

        var result = await _fileSystem.MountAsync(await RequestAsync(images.Plain, layerIndex: 0, ct), ct);

        Assert.Equal(MountOutcome.NoIndex, result.Outcome);
    }

    [RootOnlyFact]
    public async Task MountAsync_V2AnnotationNamesMissingIndex_ReturnsNoIndex()
    {
        var ct = SociImages.Timeout;

        var result = await _fileSystem.MountAsync(await RequestAsync(images.MissingIndex, layerIndex: 1, ct), ct);

        Assert.Equal(MountOutcome.NoIndex, result.Outcome);
        Assert.Contains("not in the registry", result.Reason, StringComparison.Ordinal);
    }

    [RootOnlyFact]
    public async Task MountAsync_ExplicitIndexDigestLabel_WinsOverTheManifestAnnotation()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);
        var labels = new Dictionary<string, string>(layer.Labels) { [SnapshotLabels.SociIndexDigest] = ZeroDigest };

        var result = await _fileSystem.MountAsync(layer with { Labels = labels }, ct);

        Assert.Equal(MountOutcome.NoIndex, result.Outcome);
        Assert.Contains(ZeroDigest, result.Reason, StringComparison.Ordinal);
    }

    [RootOnlyFact]
    public async Task MountAsync_V1IndexWithV1DiscoveryOff_ReturnsNoIndexAsSociDoesByDefault()
    {
        var ct = SociImages.Timeout;

        var result = await _fileSystem.MountAsync(await RequestAsync(images.V1Indexed, layerIndex: 1, ct), ct);

        Assert.Equal(MountOutcome.NoIndex, result.Outcome);
        Assert.Contains("v1 discovery is off", result.Reason, StringComparison.Ordinal);
    }

    [RootOnlyFact]
    public async Task MountAsync_V1IndexWithV1DiscoveryOn_FindsItThroughReferrersAndMounts()
    {
        var ct = SociImages.Timeout;
        var options = new SociBackendOptions { PullModes = new SociPullModes { SociV1 = new SociPullMode { Enable = true } } };
        await using var v1 = TestBackend.Create(_registry, options, System.IO.Path.Combine(_root, "state-v1"));
        var layer = await RequestAsync(images.V1Indexed, layerIndex: 1, ct);

        var result = await v1.MountAsync(layer, ct);

        Assert.Equal(MountOutcome.Mounted, result.Outcome);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "data/nested/deeper/file"), ct));
    }

    [RootOnlyFact]
    public async Task IdMapMountAsync_MountedLayer_ShowsOwnersShiftedBesideTheLayer()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);
        Assert.True((await _fileSystem.MountAsync(layer, ct)).IsMounted);
        var map = new IdMap([new IdMapping(0, 100000, 65536)], [new IdMapping(0, 200000, 65536)]);

        var view = await _fileSystem.IdMapMountAsync(layer.Mountpoint, "42", map, ct);

        Assert.Equal(Path.Combine(Path.GetDirectoryName(layer.Mountpoint)!, "idmap", "42"), view);
        Assert.Equal(0, Syscall.lstat(Path.Combine(view, "data/nested/deeper/file"), out var stat));
        Assert.Equal((101000u, 200100u), (stat.st_uid, stat.st_gid));
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(view, "data/nested/deeper/file"), ct));
        await _fileSystem.UnmountAsync(view, ct);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(view));
    }

    [RootOnlyFact]
    public async Task IdMapMountAsync_LayerNotMounted_ThrowsAndCreatesNothing()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 0, ct);
        var map = new IdMap([new IdMapping(0, 100000, 65536)], [new IdMapping(0, 100000, 65536)]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _fileSystem.IdMapMountAsync(layer.Mountpoint, "7", map, ct));

        Assert.False(System.IO.Directory.Exists(Path.Combine(Path.GetDirectoryName(layer.Mountpoint)!, "idmap")));
    }

    [RootOnlyFact]
    public async Task CleanImageAsync_AfterMount_NextLayerDiscoversTheIndexAgainAndMounts()
    {
        var ct = SociImages.Timeout;
        Assert.True((await _fileSystem.MountAsync(await RequestAsync(images.Converted, layerIndex: 0, ct), ct)).IsMounted);

        await _fileSystem.CleanImageAsync(images.Converted, ct);
        await _fileSystem.CleanImageAsync("sha256:" + new string('9', 64), ct); // an image the backend never saw

        Assert.True((await _fileSystem.MountAsync(await RequestAsync(images.Converted, layerIndex: 1, ct), ct)).IsMounted);
    }

    [RootOnlyFact]
    public async Task MountAsync_MountFails_ThrowsAndLeavesNothingMounted()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 1, ct);
        System.IO.Directory.Delete(layer.Mountpoint);

        await Assert.ThrowsAsync<IOException>(() => _fileSystem.MountAsync(layer, ct));

        Assert.Empty(MountTable.MountPointsUnder(_root));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _fileSystem.CheckAsync(layer, ct));
    }

    [RootOnlyFact]
    public async Task CheckAsync_LayerNotMounted_Throws()
    {
        var ct = SociImages.Timeout;
        var layer = await RequestAsync(images.Converted, layerIndex: 0, ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _fileSystem.CheckAsync(layer, ct));
    }

    /// <summary>A Prepare of layer <paramref name="layerIndex"/> of <paramref name="image"/> as ctr-remote rpull labels it, on a fresh snapshots/&lt;id&gt;/fs.</summary>
    private Task<LayerRequest> RequestAsync(string image, int layerIndex, CancellationToken ct) =>
        LayerRequests.CreateAsync(_registry, image, layerIndex, _root, ct);
}
