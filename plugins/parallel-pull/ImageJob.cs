using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The parallel pull of one image, started by its first layer's Prepare: resolves the image, downloads its layers in order
/// with concurrent (ranged) requests, unpacks each into its own staging directory as its bytes arrive, and hands each
/// finished layer to the Prepare that asks for it (<see cref="ClaimLayerAsync"/>). Layers before the first one asked for
/// are skipped: containerd prepares bottom-up and asks only for layers it lacks.
/// </summary>
internal sealed partial class ImageJob
{
    private readonly PullServices _services;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LayerSlot> _slots = new(StringComparer.Ordinal);
    private readonly List<BlobDownload> _held = [];
    private readonly List<Task> _unpacks = [];
    private readonly DownloadLimiter _downloadsPerImage;
    private readonly DownloadLimiter _unpacksPerImage;
    private string _staging = "";
    private readonly string? _manifestDigestLabel;
    private readonly IReadOnlyList<string> _labelLayers;
    private DownloadPlan? _plan;
    private string? _stopReason;
    private int _waiters;
    private long _lastActivity;
    private int _stopped;

    public ImageJob(string key, ImageReference reference, string referenceText, string? manifestDigestLabel, IReadOnlyList<string> labelLayers, PullServices services)
    {
        Key = key;
        Reference = reference;
        ReferenceText = referenceText;
        _manifestDigestLabel = manifestDigestLabel;
        _labelLayers = labelLayers;
        _services = services;
        _downloadsPerImage = new DownloadLimiter(services.Options.MaxConcurrentDownloadsPerImage);
        _unpacksPerImage = new DownloadLimiter(services.Options.MaxConcurrentUnpacksPerImage);
        Touch();
    }

    /// <summary>The job's key: the manifest digest label, else the image reference.</summary>
    public string Key { get; }

    public ImageReference Reference { get; }

    /// <summary>The image reference as the labels gave it (what CleanImage names when there is no manifest digest).</summary>
    public string ReferenceText { get; }

    /// <summary>The resolved manifest digest, once known.</summary>
    public string? ManifestDigest { get; private set; }

    /// <summary>Completes when the image is resolved and its layers are being fetched; faults when resolving failed.</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    /// <summary>Prepares waiting on this job right now.</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    /// <summary>When a Prepare last started or finished waiting on this job.</summary>
    public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivity), TimeSpan.Zero);

    /// <summary>True when every layer fetched has been claimed.</summary>
    public bool AllClaimed
    {
        get
        {
            lock (_lock) return Ready.IsCompletedSuccessfully && _slots.Values.All(s => s.Claimed);
        }
    }

    /// <summary>True when this job answers for <paramref name="image"/> (a manifest digest or reference, as CleanImage names it).</summary>
    public bool Matches(string image) => image == Key || image == ReferenceText || image == ManifestDigest || image == _manifestDigestLabel;

    /// <summary>Starts resolving and fetching, from <paramref name="firstLayer"/> on.</summary>
    public void Start(string firstLayer)
    {
        _staging = _services.Layout.NewJobDirectory();
        Ready = RunAsync(firstLayer, _stop.Token);
    }

    private async Task RunAsync(string firstLayer, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the Prepare that starts the job goes on to wait for its layer
        var metadata = await ImageMetadata.LoadAsync(_services.Registry, Reference, _manifestDigestLabel, _labelLayers, cancellationToken).ConfigureAwait(false);
        ManifestDigest = metadata.ManifestDigest;
        var options = _services.Options;
        var ranges = options.ChunkBytes is not null
            && await _services.Ranges.SupportsRangesAsync(Reference, metadata.Manifest.Config, cancellationToken).ConfigureAwait(false);
        _plan = new DownloadPlan(_services.Registry, Reference, _downloadsPerImage, _services.Limits.Downloads, options.ChunkBytes, ranges,
            options.ChunkAttempts, _services.Logger);
        var first = Math.Max(0, metadata.Layers.ToList().FindIndex(l => l.Descriptor.Digest == firstLayer));
        var ordered = new List<LayerSlot>();
        lock (_lock)
        {
            for (var i = first; i < metadata.Layers.Count; i++)
            {
                if (_slots.ContainsKey(metadata.Layers[i].Descriptor.Digest)) continue;
                var slot = NewSlot(i, metadata.Layers[i]);
                _slots[slot.Descriptor.Digest] = slot;
                ordered.Add(slot);
            }
        }

        ParallelPullLog.JobStarted(_services.Logger, ordered.Count, ReferenceText, metadata.ManifestDigest, options.ChunkBytes ?? -1, ranges);
        _ = FetchInOrderAsync(ordered, cancellationToken);
    }

    // A layer's requests are admitted only after the previous layer's, so layers complete in the order Prepares need them.
    private async Task FetchInOrderAsync(IReadOnlyList<LayerSlot> slots, CancellationToken cancellationToken)
    {
        foreach (var slot in slots)
        {
            try
            {
                await StartDownloadAsync(slot, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                slot.Download.TrySetException(ex); // this layer's Prepare gets the error; the others go on
            }
        }
    }

    private async Task StartDownloadAsync(LayerSlot slot, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (download, created) = _services.Blobs.Acquire(slot.Descriptor, ManifestDigest, ReferenceText);
        lock (_lock) _held.Add(download);
        slot.Download.TrySetResult(download);
        if (created) await download.StartAsync(_plan!).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private LayerSlot NewSlot(int order, ImageMetadata.Layer layer)
    {
        var slot = new LayerSlot(order, layer);
        slot.Staged = UnpackAsync(slot, _stop.Token);
        _unpacks.Add(slot.Staged);
        return slot;
    }

    private async Task<string> UnpackAsync(LayerSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Descriptor.MediaType.Contains("encrypted", StringComparison.Ordinal))
            throw new NotSupportedException($"layer {slot.Descriptor.Digest} is encrypted ({slot.Descriptor.MediaType}); containerd decrypts it");
        var download = await slot.Download.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var _ = await _unpacksPerImage.EnterAsync(_services.Limits.Unpacks, cancellationToken).ConfigureAwait(false);
        var target = Path.Combine(_staging, $"{slot.Order:D3}-{slot.Descriptor.ParsedDigest.Encoded[..12]}-{Guid.NewGuid():N}");
        try
        {
            var result = await _services.Unpacker.UnpackAsync(download, slot.DiffId, target, cancellationToken).ConfigureAwait(false);
            ParallelPullLog.LayerUnpacked(_services.Logger, slot.Descriptor.Digest, ReferenceText, result.DiffId, result.Entries, (long)result.TotalTime.TotalMilliseconds);
            return target;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Bad bytes usually break the gzip or tar stream before the digest is checked at the blob's end:
            // report the digest mismatch, the cause, when the download ends in one.
            var cause = await DownloadFailureAsync(download, cancellationToken).ConfigureAwait(false) ?? ex;
            ParallelPullLog.LayerFailed(_services.Logger, slot.Descriptor.Digest, ReferenceText, cause.Message);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
    }

    /// <summary>How the blob's download ended, waiting a bounded time for it: null when it completed or is still going.</summary>
    private static async Task<Exception?> DownloadFailureAsync(BlobDownload download, CancellationToken cancellationToken)
    {
        try
        {
            await download.Completion.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex;
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _services.Time.GetUtcNow().UtcTicks);
}
