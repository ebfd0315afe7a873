using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Time;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// A container start (or removal) pauses the background fill: no range request and no unpack while the pause lasts, the
/// whole layer after it. Against a loopback registry of one gzip layer that counts its range requests, on a clock the test moves
/// (root only where the fill unpacks: the applier sets ownership).
/// </summary>
public sealed class BackgroundFillPauseTests : IDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private const string ContainerKey = "default/9/container";
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(500);
    private readonly OneLayerToFill _layer = new("background-fill-pause-");
    private readonly ManualClock _clock = new();

    public void Dispose() => _layer.Dispose();

    [RootOnlyFact]
    public async Task Fill_ContainerStartingBeforeIt_SendsNoRangeRequestUntilThePauseIsOver()
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);

        await EnqueueAfterAContainerStartAsync(fill, server);
        await Task.Delay(500); // unpaused, the fill would have sent its first requests by now

        Assert.Equal(0, server.RangeRequests);
        Assert.NotEqual(LayerState.Local, store.StateOf(_layer.Digest));
        _clock.Advance(Pause);
        await _layer.WaitForStateAsync(store, LayerState.Local);

        Assert.Equal((_layer.Blob.Length + ChunkBytes - 1) / ChunkBytes, server.RangeRequests);
        Assert.Equal(_layer.File, await _layer.ReadLocalFileAsync(store));
    }

    [RootOnlyFact]
    public async Task Fill_ContainerStartingWhileItFetches_SendsNoFurtherRangeRequestWhilePaused()
    {
        var startAtThird = new ContainerStartAtRequest(3);
        await using var rig = _layer.Rig((registry, store) => NewFill(registry, store, startAtThird));
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);
        startAtThird.Fill = fill;

        fill.Enqueue(_layer.Request(server));
        await WaitForPendingTimerAsync();
        await Task.Delay(500);

        Assert.Equal(2, server.RangeRequests); // one request at a time: the third is the one the start caught
        Assert.True(fill.Paused);
        _clock.Advance(Pause);
        await _layer.WaitForStateAsync(store, LayerState.Local);

        Assert.Equal((_layer.Blob.Length + ChunkBytes - 1) / ChunkBytes, server.RangeRequests);
    }

    [RootOnlyFact]
    public async Task Fill_ContainerStartingWhileAResponseArrives_KeepsNoneOfItUntilThePauseIsOver()
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);

        await StartPausedMidResponseAsync(server, fill);
        await Task.Delay(500); // unpaused, the rest of the body would have been read and written by now

        Assert.Equal(1, server.RangeRequests);
        Assert.Equal(0, store.Partial(_layer.Digest)!.BytesPresent);
        _clock.Advance(Pause);
        await _layer.WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(_layer.File, await _layer.ReadLocalFileAsync(store));
    }

    [RootOnlyFact]
    public async Task Fill_PausedMidResponse_LetsThatResponseGoWhenAReaderWaitsForItsBytes()
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);
        await StartPausedMidResponseAsync(server, fill);

        var (mine, theirs) = store.Partial(_layer.Digest)!.BeginFetch(new ByteRange(0, 4096)); // a reader of the first bytes
        Assert.Null(mine);
        await theirs!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(fill.Paused); // the clock never moved: the pause still holds the fill's next requests
        Assert.True(store.Partial(_layer.Digest)!.Contains(new ByteRange(0, ChunkBytes)));
        Assert.Equal(1, server.RangeRequests);
        _clock.Advance(Pause);
        await _layer.WaitForStateAsync(store, LayerState.Local);
    }

    [RootOnlyFact]
    public async Task CancelAsync_FillHeldByThePause_StopsItWithoutWaitingForThePauseToEnd()
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);
        await EnqueueAfterAContainerStartAsync(fill, server);

        await fill.CancelAsync(_layer.Digest).WaitAsync(TimeSpan.FromSeconds(10)); // the clock never moves: the pause never ends

        Assert.Equal(0, server.RangeRequests);
        Assert.NotEqual(LayerState.Local, store.StateOf(_layer.Digest));
    }

    /// <summary>Starts the fill after a container start (or removal), and returns once the fill waits on the pause.</summary>
    private async Task EnqueueAfterAContainerStartAsync(BackgroundFill fill, ShortBodyRegistry server, bool removal = false)
    {
        if (removal) fill.ContainerRemoved(ContainerKey);
        else fill.ContainerStarting(ContainerKey);
        fill.Enqueue(_layer.Request(server));
        await WaitForPendingTimerAsync();
    }

    /// <summary>
    /// Starts the fill, with a container starting halfway through the registry's first answer (later answers go straight
    /// through), and returns once the fill waits on the pause.
    /// </summary>
    private async Task StartPausedMidResponseAsync(ShortBodyRegistry server, BackgroundFill fill)
    {
        var started = 0;
        server.MidBody = () =>
        {
            if (Interlocked.Exchange(ref started, 1) == 0) fill.ContainerStarting(ContainerKey);
            return Task.CompletedTask;
        };
        fill.Enqueue(_layer.Request(server));
        await WaitForPendingTimerAsync();
    }

    [RootOnlyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Fill_BlobFetchedAlreadyContainerStartingOrRemoved_UnpacksOnlyAfterThePause(bool removal)
    {
        await using var rig = _layer.Rig(NewFill, present: _layer.Blob.Length); // readers fetched it all: the fill only unpacks
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);

        await EnqueueAfterAContainerStartAsync(fill, server, removal);
        await Task.Delay(500); // unpaused, 1 MiB would have been unpacked by now

        Assert.Equal(LayerState.Filling, store.StateOf(_layer.Digest));
        Assert.False(Directory.Exists(store.FillPaths(_layer.Digest).FsPath));
        _clock.Advance(Pause);
        await _layer.WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(0, server.RangeRequests);
        Assert.Equal(_layer.File, await _layer.ReadLocalFileAsync(store));
    }

    [Fact]
    public async Task ContainerStarting_FillEnabled_PausesForItsLengthAndLogs3032()
    {
        var logger = new EventIdLogger<BackgroundFill>();
        using var registry = new RegistryClient();
        await using var fill = new BackgroundFill(registry, new LayerStore(_layer.State, new StoreOptions()), new LayerApplier(), new BackgroundFillOptions(),
            userXattr: false, logger: logger, time: _clock);

        fill.ContainerStarting(ContainerKey);

        Assert.True(fill.Paused);
        Assert.Contains(3032, logger.EventIds);
        _clock.Advance(Pause);
        Assert.False(fill.Paused);
    }

    [Fact]
    public async Task ContainerRemoved_FillEnabled_PausesForItsLengthAndLogs3036()
    {
        var logger = new EventIdLogger<BackgroundFill>();
        using var registry = new RegistryClient();
        await using var fill = new BackgroundFill(registry, new LayerStore(_layer.State, new StoreOptions()), new LayerApplier(), new BackgroundFillOptions(),
            userXattr: false, logger: logger, time: _clock);

        fill.ContainerRemoved(ContainerKey);

        Assert.True(fill.Paused);
        Assert.Contains(3036, logger.EventIds);
        Assert.DoesNotContain(3032, logger.EventIds); // not logged as a start
        _clock.Advance(Pause);
        Assert.False(fill.Paused);
    }

    [Theory]
    [InlineData(false, 500, false)]
    [InlineData(true, 0, false)]
    [InlineData(false, 500, true)]
    [InlineData(true, 0, true)]
    public async Task ContainerStartingOrRemoved_FillOffOrNoPauseLength_NeitherPausesNorLogs(bool enable, int pauseMilliseconds, bool removal)
    {
        var logger = new EventIdLogger<BackgroundFill>();
        using var registry = new RegistryClient();
        var options = new BackgroundFillOptions { Enable = enable, ContainerStartPauseMilliseconds = pauseMilliseconds };
        await using var fill = new BackgroundFill(registry, new LayerStore(_layer.State, new StoreOptions()), new LayerApplier(), options,
            userXattr: false, logger: logger, time: _clock);

        if (removal) fill.ContainerRemoved(ContainerKey);
        else fill.ContainerStarting(ContainerKey);

        Assert.False(fill.Paused);
        Assert.DoesNotContain(3032, logger.EventIds);
        Assert.DoesNotContain(3036, logger.EventIds);
    }

    private BackgroundFill NewFill(RegistryClient registry, LayerStore store) => NewFill(registry, store, readsFirst: null);

    private BackgroundFill NewFill(RegistryClient registry, LayerStore store, IDownloadGate? readsFirst) =>
        new(registry, store, new LayerApplier(),
            new BackgroundFillOptions { ChunkBytes = ChunkBytes, MaxConcurrentRequests = 1, ContainerStartPauseMilliseconds = (int)Pause.TotalMilliseconds },
            userXattr: false, readsFirst, time: _clock);

    /// <summary>Waits until the fill waits on the pause (a request or the unpack asleep on the clock).</summary>
    private async Task WaitForPendingTimerAsync()
    {
        for (var waited = 0; _clock.PendingTimers == 0 && waited < 100; waited++) await Task.Delay(100);
        Assert.True(_clock.PendingTimers > 0, "the fill never waited on the pause");
    }

    /// <summary>A gate before the fill's requests that reports a container start when the n-th request passes it.</summary>
    private sealed class ContainerStartAtRequest(int n) : IDownloadGate
    {
        private int _requests;

        public BackgroundFill? Fill { get; set; }

        public Task WaitAsync(long bytes, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) == n) Fill!.ContainerStarting(ContainerKey);
            return Task.CompletedTask;
        }
    }
}
