using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Plugins.Soci.WarmUp;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Plugins.Soci.Tests.WarmUp;

/// <summary>The warm-up of the Prepare path at start: in the background, against its own loopback registry, nothing mounted, never a failure.</summary>
public sealed class SociWarmUpServiceTests : IDisposable
{
    private readonly RegistryClient _registry = new();
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("soci-warm-up-");

    public void Dispose()
    {
        _registry.Dispose();
        _state.Delete(recursive: true);
    }

    private PluginContext Context() => new() { Name = "soci", Settings = new ConfigurationBuilder().Build(), SnapshotterRoot = _state.FullName, StateDirectory = _state.FullName };

    [Fact]
    public async Task RunAsync_MadeUpLayer_WalksEveryEntryOfItsTree()
    {
        // etc, var; etc/{hostname, hostname.link, name, gone (the whiteout)}; var/lib (opaque).
        Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: false, null, null, null, NullLogger.Instance, CancellationToken.None));
        Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: true, null, null, null, NullLogger.Instance, CancellationToken.None));
    }

    [Fact]
    public async Task StartAsync_ReturnsAtOnce_WarmUpCompletesLogsNoFailureAndLeavesNoFile()
    {
        var logger = new EventIdLogger<SociWarmUpService>();
        using var service = new SociWarmUpService(_registry, new SociBackendOptions(), Context(), logger);

        await service.StartAsync(CancellationToken.None);
        await service.Completion.WaitAsync(TimeSpan.FromMinutes(1));
        await service.StopAsync(CancellationToken.None);

        Assert.Contains(3023, logger.EventIds);
        Assert.DoesNotContain(3024, logger.EventIds);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_state.FullName)); // the throw-away store is gone
        Assert.Empty(MountTable.MountPointsUnder(_state.FullName)); // and its FUSE mount
    }

    [Fact]
    public async Task RunAsync_DeadMountACrashedRunLeft_RemovesItMountsOnceAndLeavesNoMount()
    {
        // A daemon killed during its warm-up leaves the made-up tree mounted with nobody serving it (ENOTCONN).
        var storeDirectory = Path.Combine(_state.FullName, "warm-up");
        var left = Directory.CreateDirectory(Path.Combine(storeDirectory, "fuse")).FullName;
        // mount(8) gets a /dev/fuse descriptor that closes when the shell exits: the connection is dead from then on.
        using (var mount = System.Diagnostics.Process.Start("/bin/sh",
            ["-c", "exec 3<>/dev/fuse; mount -i -t fuse.pluggable-warm-up -o fd=3,rootmode=40000,user_id=0,group_id=0,ro dead \"$0\"", left])!)
        {
            await mount.WaitForExitAsync();
            Assert.Equal(0, mount.ExitCode);
        }
        Assert.Equal([left], MountTable.MountPointsUnder(_state.FullName));

        Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: false, storeDirectory, new SociBackendOptions().Fuse.MountOptions("warm-up", "pluggable-warm-up"),
            null, NullLogger.Instance, CancellationToken.None));

        Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
        Assert.False(Directory.Exists(storeDirectory));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileMounting_LeavesNoMount()
    {
        var storeDirectory = Path.Combine(_state.FullName, "warm-up");
        var options = new SociBackendOptions().Fuse.MountOptions("warm-up", "pluggable-warm-up");
        for (var delay = 0; delay < 400; delay += 40)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(delay));
            try
            {
                await PrepareWarmUp.RunAsync(_registry, userXattr: false, storeDirectory, options, null, NullLogger.Instance, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                // Expected for the shorter delays.
            }
            Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
        }
    }

    [Fact]
    public async Task RunAsync_LiveMountInTheFolder_DetachesItAndDeletesNothingThroughIt()
    {
        // Something still mounted in the throw-away folder (an unmount that failed): here a bind of a folder outside it.
        var storeDirectory = Path.Combine(_state.FullName, "warm-up");
        var outside = Directory.CreateDirectory(Path.Combine(_state.FullName, "outside")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "keep"), "not the warm-up's");
        var inside = Directory.CreateDirectory(Path.Combine(storeDirectory, "fuse")).FullName;
        await RunCheckedAsync("mount", "--bind", outside, inside);
        try
        {
            Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: false, storeDirectory, null, null, NullLogger.Instance, CancellationToken.None));

            Assert.Equal("not the warm-up's", await File.ReadAllTextAsync(Path.Combine(outside, "keep"))); // not deleted through the bind
            Assert.False(Directory.Exists(storeDirectory));
            Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
        }
        finally
        {
            MountTable.UnmountUnder(_state.FullName);
        }
    }

    [Fact]
    public async Task RunAsync_FolderReachedThroughASymlink_StillDetachesTheMountInIt()
    {
        // The mount table names resolved paths: the folder's path through a link must be resolved before comparing.
        var real = Directory.CreateDirectory(Path.Combine(_state.FullName, "real")).FullName;
        var link = Path.Combine(_state.FullName, "link");
        File.CreateSymbolicLink(link, real);
        var outside = Directory.CreateDirectory(Path.Combine(_state.FullName, "outside")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "keep"), "not the warm-up's");
        var inside = Directory.CreateDirectory(Path.Combine(real, "warm-up", "fuse")).FullName;
        await RunCheckedAsync("mount", "--bind", outside, inside);
        try
        {
            await PrepareWarmUp.RunAsync(_registry, userXattr: false, Path.Combine(link, "warm-up"), null, null, NullLogger.Instance, CancellationToken.None);

            Assert.Equal("not the warm-up's", await File.ReadAllTextAsync(Path.Combine(outside, "keep")));
            Assert.False(Directory.Exists(Path.Combine(real, "warm-up")));
            Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
        }
        finally
        {
            MountTable.UnmountUnder(_state.FullName);
        }
    }

    [Fact]
    public async Task WalkAsync_TokenCancelled_StopsAtTheFirstEntry()
    {
        var tree = ZtocLayerEntries.BuildTree((await ManyFiles().BuildZtocAsync()).Ztoc, userXattr: false);
        using var unused = new CancellationTokenSource();
        var root = LayerView.Build(tree, OwnerMapping.Identity, new CancellingContent(unused), NullLogger.Instance);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // The nodes answer from memory without looking at the token: only the walk's own check per entry stops it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PrepareWarmUp.WalkAsync(root, cancelled.Token));
        Assert.Equal(20, await PrepareWarmUp.WalkAsync(root, CancellationToken.None));
    }

    [Fact]
    public async Task MountOnceAsync_CancelledMidWalk_StopsAtTheNextEntryAndUnmounts()
    {
        // The first file read through the kernel cancels the warm-up: the walk must not read the other 18.
        var tree = ZtocLayerEntries.BuildTree((await ManyFiles().BuildZtocAsync()).Ztoc, userXattr: false);
        using var cancel = new CancellationTokenSource();
        var content = new CancellingContent(cancel);
        var root = LayerView.Build(tree, OwnerMapping.Identity, content, NullLogger.Instance);
        var mountpoint = Path.Combine(_state.FullName, "warm-up", "fuse");
        var options = new SociBackendOptions().Fuse.MountOptions("warm-up", "pluggable-warm-up") with { Keeper = null };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PrepareWarmUp.MountOnceAsync(mountpoint, root, options, cancel.Token));

        Assert.Equal(1, content.FilesRead);
        Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
    }

    /// <summary>A directory of nineteen one-line files: twenty entries.</summary>
    private static LayerTarBuilder ManyFiles()
    {
        var builder = new LayerTarBuilder().Directory("files/");
        for (var i = 0; i < 19; i++) builder.File($"files/{i:D2}", $"file {i}\n");
        return builder;
    }

    private static async Task RunCheckedAsync(string command, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(command, arguments)!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>Cancels <paramref name="cancel"/> on the first read; counts the files read (a read at offset 0 each).</summary>
    private sealed class CancellingContent(CancellationTokenSource cancel) : ILayerContent
    {
        private readonly HashSet<long> _offsets = [];

        public int FilesRead
        {
            get { lock (_offsets) return _offsets.Count; }
        }

        public string LayerDigest => "sha256:" + new string('0', 64);

        public string? LocalRoot { get; set; }

        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            lock (_offsets) _offsets.Add(offset);
            cancel.Cancel();
            destination.Span.Fill((byte)'x');
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task StopAsync_RightAfterStart_EndsWithoutFailure()
    {
        var logger = new EventIdLogger<SociWarmUpService>();
        using var service = new SociWarmUpService(_registry, new SociBackendOptions(), Context(), logger);

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        Assert.True(service.Completion.IsCompletedSuccessfully);
        Assert.DoesNotContain(3024, logger.EventIds);
    }
}
