using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport.Tars;
using PluggableSnapshotter.TestSupport.Time;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// A container start pauses the background fill: no range request and no unpack while the pause lasts, the whole layer
/// after it. Against a loopback registry of one gzip layer that counts its range requests, on a clock the test moves
/// (root only where the fill unpacks: the applier sets ownership).
/// </summary>
public sealed class BackgroundFillPauseTests : IDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private const string ContainerKey = "default/9/container";
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(500);
    private static readonly byte[] Index = "ztoc"u8.ToArray();
    private readonly string _state = Directory.CreateTempSubdirectory("background-fill-pause-").FullName;
    private readonly ManualClock _clock = new();
    private readonly byte[] _file = Random(1 << 20);
    private readonly byte[] _blob;
    private readonly string _digest;

    public BackgroundFillPauseTests()
    {
        _blob = LayerBuilder.Gzip(new LayerBuilder().Dir("data/").File("data/file", _file).Tar());
        _digest = OciDigest.Compute(_blob).ToString();
    }

    public void Dispose() => StoreStatusFile.DeleteState(_state);

    [RootOnlyFact]
    public async Task Fill_ContainerStartingBeforeIt_SendsNoRangeRequestUntilThePauseIsOver()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: 0);
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);

        fill.ContainerStarting(ContainerKey);
        fill.Enqueue(Request(server));
        await WaitForPendingTimerAsync();
        await Task.Delay(500); // unpaused, the fill would have sent its first requests by now

        Assert.Equal(0, server.RangeRequests);
        Assert.NotEqual(LayerState.Local, store.StateOf(_digest));
        _clock.Advance(Pause);
        await WaitForStateAsync(store, LayerState.Local);

        Assert.Equal((_blob.Length + ChunkBytes - 1) / ChunkBytes, server.RangeRequests);
        Assert.Equal(_file, await File.ReadAllBytesAsync(Path.Combine(store.FillPaths(_digest).FsPath, "data/file")));
        store.ClosePartials();
    }

    [RootOnlyFact]
    public async Task Fill_ContainerStartingWhileItFetches_SendsNoFurtherRangeRequestWhilePaused()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: 0);
        using var registry = new RegistryClient();
        var startAtThird = new ContainerStartAtRequest(3);
        await using var fill = NewFill(registry, store, startAtThird);
        startAtThird.Fill = fill;

        fill.Enqueue(Request(server));
        await WaitForPendingTimerAsync();
        await Task.Delay(500);

        Assert.Equal(2, server.RangeRequests); // one request at a time: the third is the one the start caught
        Assert.True(fill.Paused);
        _clock.Advance(Pause);
        await WaitForStateAsync(store, LayerState.Local);

        Assert.Equal((_blob.Length + ChunkBytes - 1) / ChunkBytes, server.RangeRequests);
        store.ClosePartials();
    }

    [RootOnlyFact]
    public async Task Fill_ContainerStartingWhileAResponseArrives_KeepsNoneOfItUntilThePauseIsOver()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: 0);
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);

        await StartPausedMidResponseAsync(server, fill);
        await Task.Delay(500); // unpaused, the rest of the body would have been read and written by now

        Assert.Equal(1, server.RangeRequests);
        Assert.Equal(0, store.Partial(_digest)!.BytesPresent);
        _clock.Advance(Pause);
        await WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(_file, await File.ReadAllBytesAsync(Path.Combine(store.FillPaths(_digest).FsPath, "data/file")));
        store.ClosePartials();
    }

    [RootOnlyFact]
    public async Task Fill_PausedMidResponse_LetsThatResponseGoWhenAReaderWaitsForItsBytes()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: 0);
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);
        await StartPausedMidResponseAsync(server, fill);

        var (mine, theirs) = store.Partial(_digest)!.BeginFetch(new ByteRange(0, 4096)); // a reader of the first bytes
        Assert.Null(mine);
        await theirs!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(fill.Paused); // the clock never moved: the pause still holds the fill's next requests
        Assert.True(store.Partial(_digest)!.Contains(new ByteRange(0, ChunkBytes)));
        Assert.Equal(1, server.RangeRequests);
        _clock.Advance(Pause);
        await WaitForStateAsync(store, LayerState.Local);
        store.ClosePartials();
    }

    [RootOnlyFact]
    public async Task CancelAsync_FillHeldByThePause_StopsItWithoutWaitingForThePauseToEnd()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: 0);
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);
        fill.ContainerStarting(ContainerKey);
        fill.Enqueue(Request(server));
        await WaitForPendingTimerAsync();

        await fill.CancelAsync(_digest).WaitAsync(TimeSpan.FromSeconds(10)); // the clock never moves: the pause never ends

        Assert.Equal(0, server.RangeRequests);
        Assert.NotEqual(LayerState.Local, store.StateOf(_digest));
        store.ClosePartials();
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
        fill.Enqueue(Request(server));
        await WaitForPendingTimerAsync();
    }

    [RootOnlyFact]
    public async Task Fill_BlobFetchedAlreadyContainerStarting_UnpacksOnlyAfterThePause()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = StoreWith(present: _blob.Length); // readers fetched it all: the fill only unpacks
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);

        fill.ContainerStarting(ContainerKey);
        fill.Enqueue(Request(server));
        await WaitForPendingTimerAsync();
        await Task.Delay(500); // unpaused, 1 MiB would have been unpacked by now

        Assert.Equal(LayerState.Filling, store.StateOf(_digest));
        Assert.False(Directory.Exists(store.FillPaths(_digest).FsPath));
        _clock.Advance(Pause);
        await WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(0, server.RangeRequests);
        Assert.Equal(_file, await File.ReadAllBytesAsync(Path.Combine(store.FillPaths(_digest).FsPath, "data/file")));
        store.ClosePartials();
    }

    [Fact]
    public async Task ContainerStarting_FillEnabled_PausesForItsLengthAndLogs3032()
    {
        var logger = new EventIdLogger<BackgroundFill>();
        using var registry = new RegistryClient();
        await using var fill = new BackgroundFill(registry, new LayerStore(_state, new StoreOptions()), new LayerApplier(), new BackgroundFillOptions(),
            userXattr: false, logger: logger, time: _clock);

        fill.ContainerStarting(ContainerKey);

        Assert.True(fill.Paused);
        Assert.Contains(3032, logger.EventIds);
        _clock.Advance(Pause);
        Assert.False(fill.Paused);
    }

    [Theory]
    [InlineData(false, 500)]
    [InlineData(true, 0)]
    public async Task ContainerStarting_FillOffOrNoPauseLength_NeitherPausesNorLogs(bool enable, int pauseMilliseconds)
    {
        var logger = new EventIdLogger<BackgroundFill>();
        using var registry = new RegistryClient();
        var options = new BackgroundFillOptions { Enable = enable, ContainerStartPauseMilliseconds = pauseMilliseconds };
        await using var fill = new BackgroundFill(registry, new LayerStore(_state, new StoreOptions()), new LayerApplier(), options,
            userXattr: false, logger: logger, time: _clock);

        fill.ContainerStarting(ContainerKey);

        Assert.False(fill.Paused);
        Assert.DoesNotContain(3032, logger.EventIds);
    }

    private BackgroundFill NewFill(RegistryClient registry, LayerStore store, IDownloadGate? readsFirst = null) =>
        new(registry, store, new LayerApplier(),
            new BackgroundFillOptions { ChunkBytes = ChunkBytes, MaxConcurrentRequests = 1, ContainerStartPauseMilliseconds = (int)Pause.TotalMilliseconds },
            userXattr: false, readsFirst, time: _clock);

    private LayerStore StoreWith(int present)
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(_digest, "/m1", _blob.Length, "img", null);
        store.RecordPartial(_digest, MediaTypes.OciLayerGzip, OciDigest.Compute(Index).ToString(), Index, []);
        if (present > 0) store.Partial(_digest)!.Write(0, _blob.AsSpan(0, present));
        return store;
    }

    private FillRequest Request(ShortBodyRegistry server) =>
        new(ImageReference.Parse(server.Reference), new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = _digest, Size = _blob.Length },
            new LayerIndexFile(OciDigest.Compute(Index).ToString(), Index, 2 << 20), LayerInode.NewDirectory(0x1ED), DateTimeOffset.UtcNow);

    /// <summary>Waits until the fill waits on the pause (a request or the unpack asleep on the clock).</summary>
    private async Task WaitForPendingTimerAsync()
    {
        for (var waited = 0; _clock.PendingTimers == 0 && waited < 100; waited++) await Task.Delay(100);
        Assert.True(_clock.PendingTimers > 0, "the fill never waited on the pause");
    }

    private async Task WaitForStateAsync(LayerStore store, LayerState state)
    {
        for (var waited = 0; store.StateOf(_digest) != state && waited < 300; waited++) await Task.Delay(100);
        Assert.Equal(state, store.StateOf(_digest));
    }

    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        new Random(23).NextBytes(bytes);
        return bytes;
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
