using System.Diagnostics.CodeAnalysis;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The parallel pull of one image, started by its first layer's Prepare: resolves the image, takes a slot for each of its
/// layers from the one asked for on (<see cref="LayerSlots"/>: a layer another pull already unpacks is shared, not
/// unpacked twice), downloads them in order with concurrent (ranged) requests, and hands each finished layer to the
/// Prepare that asks for it (<see cref="ClaimLayerAsync"/>). Layers before the first one asked for are skipped: containerd
/// prepares bottom-up and asks only for layers it lacks.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "its token source has no timer and its limiters' semaphores never make wait handles: a stopped job holds nothing to release")]
internal sealed partial class ImageJob
{
    private readonly PullServices _services;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LayerSlot> _slots = new(StringComparer.Ordinal);
    private readonly List<LayerSlot> _held = [];
    private readonly DownloadLimiter _downloadsPerImage;
    private readonly DownloadLimiter _unpacksPerImage;
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

    /// <summary>True when every layer fetched has been claimed (by this job's Prepares or another pull's).</summary>
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
    public void Start(string firstLayer) => Ready = RunAsync(firstLayer, _stop.Token);

    private async Task RunAsync(string firstLayer, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the Prepare that starts the job goes on to wait for its layer
        var metadata = await ImageMetadata.LoadAsync(_services.Images, Reference, _manifestDigestLabel, _labelLayers, cancellationToken).ConfigureAwait(false);
        ManifestDigest = metadata.ManifestDigest;
        var options = _services.Options;
        var ranges = options.ChunkBytes is not null
            && await _services.Registry.HonoursRangesAsync(Reference, metadata.Manifest.Config, cancellationToken).ConfigureAwait(false);
        _plan = new DownloadPlan(_services.Registry, Reference, _downloadsPerImage, _services.Limits.Downloads, options.ChunkBytes, ranges,
            options.ChunkAttempts, _services.Logger);
        var first = Math.Max(0, metadata.Layers.ToList().FindIndex(l => l.Descriptor.Digest == firstLayer));
        var ordered = new List<LayerSlot>();
        lock (_lock)
        {
            for (var i = first; i < metadata.Layers.Count; i++)
            {
                if (_slots.ContainsKey(metadata.Layers[i].Descriptor.Digest)) continue;
                var slot = HoldSlot(metadata.Layers[i]);
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
        var created = _services.Slots.ProvideDownload(slot, ManifestDigest, ReferenceText);
        if (created is not null) await created.StartAsync(_plan!).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Called under _lock; the job lets go of every slot it held when it stops.
    private LayerSlot HoldSlot(ImageMetadata.Layer layer)
    {
        var slot = _services.Slots.Acquire(layer, _unpacksPerImage, ReferenceText);
        _held.Add(slot);
        return slot;
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _services.Time.GetUtcNow().UtcTicks);
}
