using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.LazyLayers.Mounts;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Blobs;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// Makes mounted layers local in the background: each queued layer's blob is fetched with parallel range requests
/// (lib/Registry's <see cref="BlobDownload"/>, as parallel pull does), its digest checked, and unpacked while it arrives
/// by the same applier the local backend uses into the store. A layer is filled once however many snapshots use it.
/// The blob goes into the layer's <see cref="PartialBlob"/>, which on-demand reads fill too: the fill fetches only what
/// they have not, they read what it fetched, and its unpack reads what they fetched as soon as it is there
/// (<see cref="PresentBytesStream"/>, which checks the blob digest over the bytes it unpacked). When one completes, <see cref="LayerLocal"/> is raised so the mounts switch to the local files.
/// </summary>
public sealed class BackgroundFill : IAsyncDisposable
{
    private readonly RegistryClient _registry;
    private readonly LayerStore _store;
    private readonly LayerApplier _applier;
    private readonly BackgroundFillOptions _options;
    private readonly bool _userXattr;
    private readonly ILogger _logger;
    private readonly Channel<FillRequest> _queue = Channel.CreateUnbounded<FillRequest>();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UnpackedFiles> _unpacking = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly DownloadLimiter _requests;
    private readonly IDownloadGate? _gate;
    private readonly ContainerStartPause _pause;
    private readonly MountActivity _mounts;
    private readonly TimeProvider _time;
    private readonly Lazy<Task[]> _workers;
    private readonly LazyLayerMetrics? _metrics;
    private int _disposed;
    private int _trashWaiting; // 1 while a deletion waits for fills and container starts to be quiet
    private Task _trashWait = Task.CompletedTask; // every wait begun, so that disposal awaits their deletions' start
    private readonly Lock _trashWaitLock = new();

    /// <summary>How long no fill may have ended nor container started before filled layers' partial files are deleted (at least the pause).</summary>
    internal static readonly TimeSpan TrashQuiet = TimeSpan.FromSeconds(3);
    private readonly TimeSpan _trashQuiet;

    /// <summary>The longest those deletions wait for that quiet.</summary>
    internal static readonly TimeSpan TrashLongestWait = TimeSpan.FromSeconds(60);

    /// <summary>The longest a fill waits, past its request's start time, for layer mounts to stop (<see cref="MountStarted"/>).</summary>
    internal static readonly TimeSpan MountsQuietLongestWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A fill whose requests first pass <paramref name="readsFirst"/>, which holds them back while on-demand reads fetch,
    /// and which pauses when a container starts (<see cref="ContainerStarting"/>; <paramref name="time"/>: its clock).
    /// </summary>
    public BackgroundFill(RegistryClient registry, LayerStore store, LayerApplier applier, BackgroundFillOptions options, bool userXattr,
        IDownloadGate? readsFirst = null, ILogger<BackgroundFill>? logger = null, LazyLayerMetrics? metrics = null, TimeProvider? time = null)
    {
        _metrics = metrics;
        (_registry, _store, _applier, _options, _userXattr) = (registry, store, applier, options, userXattr);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _requests = new DownloadLimiter(options.MaxConcurrentRequests);
        _time = time ?? TimeProvider.System;
        var pause = TimeSpan.FromMilliseconds(options.ContainerStartPauseMilliseconds);
        _pause = new ContainerStartPause(pause, time);
        _mounts = new MountActivity(time);
        _trashQuiet = pause > TrashQuiet ? pause : TrashQuiet;
        _gate = IDownloadGate.Combine(IDownloadGate.Combine(readsFirst, _pause),
            options.MaxBytesPerSecond > 0 ? new BandwidthLimiter(options.MaxBytesPerSecond) : null);
        // Started on first use (constructors do no work), without the caller's execution context: the Prepare that
        // happens to start them must not lend its logging scope to every fill that follows.
        _workers = new Lazy<Task[]>(() =>
        {
            using var _ = ExecutionContext.SuppressFlow();
            return Enumerable.Range(0, options.MaxConcurrentLayers).Select(_ => Task.Run(RunWorkerAsync)).ToArray();
        });
    }

    /// <summary>Raised (on a fill worker) when a layer is local: its digest and its unpacked folder.</summary>
    public Func<string, string, Task>? LayerLocal { get; set; }

    /// <summary>A container is starting on the daemon's layers: every fill pauses for <c>container_start_pause_ms</c>.</summary>
    public void ContainerStarting(string key) => Pause(key, _pause.ContainerStarting, LazyLayersLog.FillPaused);

    /// <summary>A container on the daemon's layers was removed: every fill pauses as for a start, for the start that often follows.</summary>
    public void ContainerRemoved(string key) => Pause(key, _pause.ContainerRemoved, LazyLayersLog.FillPausedAfterRemoval);

    private void Pause(string key, Action hold, Action<ILogger, int, string> log)
    {
        if (!_options.Enable) return;
        hold(); // with no pause length, still a busy moment the deletions wait out
        if (_options.ContainerStartPauseMilliseconds == 0) return;
        log(_logger, _options.ContainerStartPauseMilliseconds, key);
    }

    /// <summary>
    /// A layer mount begins (a Prepare of a lazy layer): fills not yet started wait until no mount has begun for
    /// <c>delay_ms</c>. A pull prepares its layers one after another, and a fill started between them took the CPUs from
    /// the next Prepares and from the container that follows the pull (bench/lazy's README, stop 15).
    /// </summary>
    public void MountStarted() => _mounts.MountStarted();

    /// <summary>The files the running fill of layer <paramref name="digest"/> has unpacked, where its request let them be checked; else null.</summary>
    public UnpackedFiles? Unpacking(string digest) => _unpacking.GetValueOrDefault(digest);

    /// <summary>True while a container start (or removal) holds the fills back.</summary>
    public bool Paused => _pause.Holding;

    /// <summary>Queues a layer unless it is local, queued or filling already (or fills are off).</summary>
    public void Enqueue(FillRequest request)
    {
        if (!_options.Enable || _stopping.IsCancellationRequested) return;
        var digest = request.Layer.Digest;
        var state = _store.StateOf(digest);
        if (state is LayerState.Local or LayerState.Filling || !_queued.TryAdd(digest, 0)) return;
        _store.MarkQueued(digest);
        _ = _workers.Value;
        _queue.Writer.TryWrite(request);
    }

    /// <summary>Stops the fill of one layer (its last snapshot is gone) and waits until it no longer writes to the store.</summary>
    public async Task CancelAsync(string digest)
    {
        _queued.TryRemove(digest, out _);
        if (_running.TryGetValue(digest, out var fill)) await fill.CancelAsync().ConfigureAwait(false);
        while (_running.ContainsKey(digest)) await Task.Delay(10).ConfigureAwait(false);
    }

    private async Task RunWorkerAsync()
    {
        var stopping = _stopping.Token;
        try
        {
            await foreach (var request in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                // NotBefore is wall-clock time (the backends' UtcNow), as this wait.
                var wait = request.NotBefore - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, stopping).ConfigureAwait(false);
                // Then until a pull's mounts have passed, bounded from the request's own start time (not per worker turn).
                var longest = request.NotBefore + MountsQuietLongestWait - DateTimeOffset.UtcNow;
                if (longest > TimeSpan.Zero && _queued.ContainsKey(request.Layer.Digest))
                    await _mounts.WaitQuietAsync(TimeSpan.FromMilliseconds(_options.DelayMilliseconds), longest, stopping).ConfigureAwait(false);
                if (!_queued.TryRemove(request.Layer.Digest, out _)) continue; // cancelled while queued
                await FillAsync(request, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The daemon is stopping: unfinished fills start over at the next mount.
        }
    }

    private async Task FillAsync(FillRequest request, CancellationToken stopping)
    {
        var digest = request.Layer.Digest;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        // One fill per layer: a second request for it can be queued while the first is dequeued and not yet filling,
        // and with several workers it would otherwise run beside the first and trip over its partial blob.
        if (!_running.TryAdd(digest, cancellation)) return;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            if (_store.StateOf(digest) == LayerState.Local) return;
            // The blob and the unpacked tree are both on disk until the blob is deleted at the end.
            if (!_store.TryReserve(digest, request.Layer.Size + request.Index.UncompressedSize))
            {
                LazyLayersLog.FillSkippedStoreFull(_logger, digest, _store.Options.MaxBytes);
                _store.MarkFailed(digest, $"the store's max_bytes ({_store.Options.MaxBytes}) leaves no room for it");
                return;
            }
            var (_, fsPath) = _store.FillPaths(digest);
            var partial = _store.Partial(digest) ?? throw new InvalidOperationException($"layer {digest} has no partial blob in the store");
            if (partial.Retired) return; // made local since the check above
            // Only what readers (or an earlier fill) have not fetched yet is fetched.
            using var perLayer = new DownloadLimiter(_options.MaxConcurrentRequests); // disposed after the download's requests have ended
            // The unpack reads the blob wherever the partial blob holds it: the layer's readers run far ahead of this
            // download (which waits behind them), and the unpack follows them, waiting only at bytes nobody fetched.
            using var download = BlobDownload.Resume(request.Layer, partial);
            _store.MarkFilling(digest, () => partial.BytesPresent);
            var plan = new DownloadPlan(_registry, request.Repository, perLayer, _requests, _options.ChunkBytes, RangesSupported: true,
                _options.ChunkAttempts, _logger, _gate, _pause.WaitAsync);
            using var progress = StartStatusUpdates(cancellation.Token);
            // Its admission is not awaited: the unpack follows the bytes as they arrive while later requests wait for
            // a slot (one fill per layer: no next layer to keep behind this one), and a fill stopped while its requests
            // are held back (a pause, the bandwidth cap) stops at once, its download cancelled below.
            _ = download.StartAsync(plan);
            LayerApplyResult applied;
            try
            {
                try
                {
                    // The reader's last read checks the blob digest over the bytes unpacked: once the unpack is done,
                    // every byte was there and right, and what the download still had in hand is cancelled below.
                    var blob = download.OpenPresentReader();
                    // Where the format checks the bytes as they pass, reads take the files unpacked from checked bytes.
                    var unpacked = request.CheckUnpackInput is null ? null : new UnpackedFiles(_metrics);
                    var input = unpacked is null ? blob : request.CheckUnpackInput!(blob, unpacked);
                    if (unpacked is not null) _unpacking[digest] = unpacked;
                    var apply = new LayerApplyOptions
                    {
                        MediaType = request.Layer.MediaType, UserXattr = _userXattr, ComputeDiffId = false, HoldBack = _pause.WaitAsync, AppliedFiles = unpacked,
                    };
                    try
                    {
                        applied = await BackgroundCpuPriority.RunAsync(_options.Nice,
                            () => _applier.ApplyAsync(input, fsPath, apply, cancellation.Token)).ConfigureAwait(false);
                    }
                    finally
                    {
                        // The staging directory is renamed into place (or removed) by now: reads go to the spans until
                        // the mounts serve the local copy.
                        if (unpacked is not null) _unpacking.TryRemove(new KeyValuePair<string, UnpackedFiles>(digest, unpacked));
                    }
                    if (!blob.Verified) throw new InvalidOperationException($"layer {digest} was unpacked without its blob's digest being checked");
                }
                catch (Exception e) when (!cancellation.IsCancellationRequested && !BlobDigestMismatch.IsCause(e))
                {
                    // Bytes that do not unpack (whatever the unpacker calls it, however it wraps its reader's error): a wrong
                    // byte fetched or kept, or a layer bad as published. The blob's digest tells which: the whole blob is
                    // read once more (the download goes on to the end), and a mismatch is what then fails the fill and discards.
                    var check = download.OpenPresentReader();
                    await using (check.ConfigureAwait(false)) await check.CopyToAsync(Stream.Null, cancellation.Token).ConfigureAwait(false);
                    throw;
                }
            }
            finally
            {
                // A fill that stops, fails or is done still has requests running (or waiting for a slot): they end before
                // the limiters they hold slots of are disposed, and before the store may close the partial blob they write to.
                download.Cancel();
                await Task.WhenAny(download.Completion).ConfigureAwait(false);
            }
            download.Dispose();
            if (request.FormatEntries is { Count: > 0 } formatEntries)
            {
                // The tree never showed them; the root keeps the modification time the layer gave it.
                var rootModified = Directory.GetLastWriteTimeUtc(fsPath);
                foreach (var entry in formatEntries) File.Delete(Path.Join(fsPath, entry));
                Directory.SetLastWriteTimeUtc(fsPath, rootModified);
            }
            ImplicitDirectories.CopyFromTree(request.Tree, fsPath);
            _pause.NoteBusy(); // before its partial files go to the trash: their deletion waits for quiet from here
            _store.MarkLocal(digest, request.Layer.MediaType, applied.UncompressedSize, request.Index.Digest, request.Index.Bytes);
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            LazyLayersLog.LayerFilled(_logger, digest, request.Layer.Size, applied.Entries, (long)elapsed.TotalMilliseconds);
            _metrics?.RecordDuration(LazyLayerMetrics.BackgroundFetch, elapsed);
            _metrics?.Count("background_fetch_count");
            _metrics?.Fetched("background", request.Layer.Size);
            // Until the mounts serve the local copy, their reads still take bytes from the partial blob (the store keeps
            // it open, read only, until its files are deleted below), not from the registry.
            if (LayerLocal is { } local) await local(digest, fsPath).ConfigureAwait(false);
            await CollectIfDrainedOutsidePauseAsync(cancellation.Token).ConfigureAwait(false);
            EmptyTrashWhenQuiet(stopping);
        }
        catch (Exception e) when (cancellation.IsCancellationRequested)
        {
            LazyLayersLog.FillStopped(_logger, digest, e.Message);
            _store.MarkFailed(digest, "stopped", discardFetched: false);
        }
        catch (Exception e)
        {
            _metrics?.Count("background_fetch_failure_count");
            LazyLayersLog.FillFailed(_logger, digest, e.Message);
            // A blob that fails its digest holds a wrong byte somewhere: start over. Other failures (the network, a short
            // body, a layer that does not unpack though its digest matched) keep what was fetched: the next fill fetches the gaps.
            _store.MarkFailed(digest, e.Message, discardFetched: BlobDigestMismatch.IsCause(e));
        }
        finally
        {
            _running.TryRemove(digest, out _);
        }
    }

    /// <summary>
    /// Deletes the partial files of the layers made local (kept apart in the store's trash: <see cref="LayerStore.MarkLocal"/>)
    /// at idle CPU priority, once neither a fill has ended nor a container started for <see cref="TrashQuiet"/>: the
    /// kernel spends ~45 ms of CPU per 333 MB tmpfs file freed, and the fills of an image end together, as its reads end
    /// and the next container starts. Deleted then, even in the idle scheduling class, they made that container slower on
    /// 2 CPUs (bench/lazy's README, stop 13); one pass after the last fill takes them all. The worker goes on meanwhile.
    /// </summary>
    private void EmptyTrashWhenQuiet(CancellationToken stopping)
    {
        if (Interlocked.Exchange(ref _trashWaiting, 1) == 1) return; // the wait under way takes these files too
        var wait = Task.Run(async () =>
        {
            var started = _time.GetTimestamp();
            while (true)
            {
                try
                {
                    var longest = TrashLongestWait - _time.GetElapsedTime(started);
                    if (longest > TimeSpan.Zero) await _pause.WaitForQuietAsync(_trashQuiet, longest, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: delete now rather than leave it to the next start.
                }
                Volatile.Write(ref _trashWaiting, 0);
                // A fill that ended meanwhile noted it (before its files went to the trash) and may have left them to this
                // wait: look again, unless stopping, waited longest, or another wait has taken over since.
                if (stopping.IsCancellationRequested || _time.GetElapsedTime(started) >= TrashLongestWait || _pause.QuietFor(_trashQuiet)) break;
                if (Interlocked.Exchange(ref _trashWaiting, 1) == 1) return;
            }
            _store.EmptyTrashAtIdlePriority();
        }, CancellationToken.None);
        lock (_trashWaitLock) _trashWait = Task.WhenAll(_trashWait, wait);
    }

    /// <summary>
    /// The last fill's garbage (what MarkLocal let go of too) is collected now, not at the next quiet moment, but after
    /// any container start's pause: the collection stops the daemon for 10-30 ms, and a container started as the reads of
    /// an image end (when its last fills end) waits for the daemon's answers to its Prepare and Mounts.
    /// </summary>
    private async Task CollectIfDrainedOutsidePauseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _pause.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the layer went away or the daemon stops: no collection for it
        }
        if (FillDrainedCompaction.CollectIfDrained(_store) is { } collected)
            LazyLayersLog.FillGarbageCollected(_logger, (long)collected.Duration.TotalMilliseconds, collected.HeapBytesBefore >> 20, collected.HeapBytesAfter >> 20);
    }

    /// <summary>Rewrites status.json every second while a fill runs, so its progress can be watched.</summary>
    private Timer StartStatusUpdates(CancellationToken cancellationToken) =>
        new(_ =>
        {
            if (cancellationToken.IsCancellationRequested) return;
            try
            {
                _store.WriteStatus();
            }
            catch (IOException)
            {
                // Best effort: the next tick or state change writes it.
            }
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    public async ValueTask DisposeAsync()
    {
        // The plugin's service provider and its hosted-service stop may both dispose it.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        if (_workers.IsValueCreated)
        {
            try
            {
                await Task.WhenAll(_workers.Value).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Expected while stopping.
            }
        }
        while (!_running.IsEmpty) await Task.Delay(10).ConfigureAwait(false);
        Task trashWaits;
        lock (_trashWaitLock) trashWaits = _trashWait;
        await trashWaits.ConfigureAwait(false); // their deletions begun (stopping cuts the waits short), so the store can await them
        _requests.Dispose();
        _stopping.Dispose();
    }
}
