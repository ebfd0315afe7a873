using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Plugins.Soci.WarmUp;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
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
        Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: false, null, null, CancellationToken.None));
        Assert.Equal(7, await PrepareWarmUp.RunAsync(_registry, userXattr: true, null, null, CancellationToken.None));
    }

    [Fact]
    public async Task StartAsync_ReturnsAtOnce_WarmUpCompletesLogsNoFailureAndLeavesNoFile()
    {
        var logger = new EventLogger();
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
            CancellationToken.None));

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
                await PrepareWarmUp.RunAsync(_registry, userXattr: false, storeDirectory, options, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                // Expected for the shorter delays.
            }
            Assert.Empty(MountTable.MountPointsUnder(_state.FullName));
        }
    }

    [Fact]
    public async Task StopAsync_RightAfterStart_EndsWithoutFailure()
    {
        var logger = new EventLogger();
        using var service = new SociWarmUpService(_registry, new SociBackendOptions(), Context(), logger);

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        Assert.True(service.Completion.IsCompletedSuccessfully);
        Assert.DoesNotContain(3024, logger.EventIds);
    }

    private sealed class EventLogger : ILogger<SociWarmUpService>
    {
        private readonly List<int> _ids = [];

        public IReadOnlyList<int> EventIds
        {
            get { lock (_ids) return [.. _ids]; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_ids) _ids.Add(eventId.Id);
        }
    }
}
