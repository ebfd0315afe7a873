using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The layers being unpacked or waiting for their Prepare, by digest, shared by every image job: an image pulled under
/// several tags, or two images with a common layer, unpack it once and the first Prepare that asks takes it. A slot ends
/// when it is claimed (its blob reference dropped, its folder deleted once the layer moved out) or when the last job
/// holding it lets go (its unpack cancelled, its folder deleted): nothing in <c>staging/</c> outlives its use.
/// </summary>
internal sealed class LayerSlots(StateLayout layout, BlobStore blobs, LayerUnpacker unpacker, PullLimits limits, ILogger<LayerSlots> logger,
    Meter? meter = null)
{
    private readonly FetchedBytes _fetched = new(meter); // whole_layer here
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<LayerSlot>> _slots = new(StringComparer.Ordinal);
    private int _unpacks;

    /// <summary>Slots alive (unpacking, or unpacked and unclaimed), for tests and logs.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _slots.Values.Sum(l => l.Count);
        }
    }

    /// <summary>How many pulls hold a slot of <paramref name="digest"/> (shared or not), for tests.</summary>
    public int Holders(string digest)
    {
        lock (_lock) return _slots.TryGetValue(digest, out var list) ? list.Sum(s => s.Holders) : 0;
    }

    /// <summary>Unpacks started since startup, for tests and logs.</summary>
    public int UnpacksStarted => Volatile.Read(ref _unpacks);

    /// <summary>
    /// A hold on an available slot for <paramref name="layer"/>'s digest: one another job already unpacks, else a new one
    /// whose unpack starts now (it waits for a job to start the blob download, <see cref="ProvideDownload"/>).
    /// </summary>
    public LayerSlot Acquire(ImageMetadata.Layer layer, DownloadLimiter unpacksPerImage, string imageReference)
    {
        lock (_lock)
        {
            if (!_slots.TryGetValue(layer.Descriptor.Digest, out var list)) _slots[layer.Descriptor.Digest] = list = [];
            var slot = list.FirstOrDefault(s => s.IsAvailable);
            if (slot is null)
            {
                slot = new LayerSlot(layer, layout.NewSlotDirectory());
                list.Add(slot);
                Interlocked.Increment(ref _unpacks);
                slot.Staged = UnpackAsync(slot, unpacksPerImage, imageReference, slot.Stop.Token);
            }
            else
            {
                ParallelPullLog.LayerShared(logger, layer.Descriptor.Digest, imageReference);
            }

            slot.Holders++;
            return slot;
        }
    }

    /// <summary>
    /// Gives the slot its blob download unless another job did: returns the download the caller must start (it was
    /// created for it), or null. The slot owns the blob reference until it ends.
    /// </summary>
    public BlobDownload? ProvideDownload(LayerSlot slot, string? manifestDigest, string imageReference)
    {
        lock (_lock)
        {
            if (slot.Download.Task.IsCompleted || slot.Ended)
            {
                blobs.AddImage(slot.Descriptor.Digest, manifestDigest, imageReference);
                return null;
            }

            var (download, created) = blobs.Acquire(slot.Descriptor, manifestDigest, imageReference);
            slot.Download.TrySetResult(download);
            return created ? download : null;
        }
    }

    /// <summary>Moves the unpacked layer into <paramref name="mountpoint"/>; false when another Prepare took it first.</summary>
    public bool TryClaim(LayerSlot slot, string mountpoint)
    {
        lock (_lock)
        {
            if (slot.Claimed || slot.Ended) return false;
            DirectoryMove.OntoEmpty(slot.StagedPath, mountpoint, "the layer");
            slot.Claimed = true;
            slot.Ended = true;
            Forget(slot);
        }

        Dispose(slot);
        return true;
    }

    /// <summary>Drops a job's hold; the last hold on an unclaimed slot cancels its unpack and deletes what it staged.</summary>
    public async Task ReleaseAsync(LayerSlot slot)
    {
        lock (_lock)
        {
            if (--slot.Holders > 0 || slot.Ended) return;
            slot.Ended = true;
            Forget(slot);
        }

        await slot.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await slot.Staged.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failure already reached the Prepare that asked (or nobody asked); only unwinding matters here.
        }

        Dispose(slot);
    }

    private void Forget(LayerSlot slot)
    {
        if (!_slots.TryGetValue(slot.Descriptor.Digest, out var list)) return;
        list.Remove(slot);
        if (list.Count == 0) _slots.Remove(slot.Descriptor.Digest);
    }

    // The slot has ended: its folder (empty after a claim) and its blob reference go.
    private void Dispose(LayerSlot slot)
    {
        try
        {
            if (System.IO.Directory.Exists(slot.Directory)) System.IO.Directory.Delete(slot.Directory, recursive: true);
        }
        finally
        {
            if (slot.Download.Task.IsCompletedSuccessfully) blobs.Release(slot.Download.Task.Result);
            slot.Stop.Dispose();
        }
    }

    private async Task<string> UnpackAsync(LayerSlot slot, DownloadLimiter unpacksPerImage, string imageReference, CancellationToken cancellationToken)
    {
        await Task.Yield(); // Acquire holds the lock
        if (slot.Descriptor.MediaType.Contains("encrypted", StringComparison.Ordinal))
            throw new NotSupportedException($"layer {slot.Descriptor.Digest} is encrypted ({slot.Descriptor.MediaType}); containerd decrypts it");
        var download = await slot.Download.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var _ = await unpacksPerImage.EnterAsync(limits.Unpacks, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await unpacker.UnpackAsync(download, slot.DiffId, slot.StagedPath, cancellationToken).ConfigureAwait(false);
            ParallelPullLog.LayerUnpacked(logger, slot.Descriptor.Digest, imageReference, result.DiffId ?? "not computed", result.Entries, (long)result.TotalTime.TotalMilliseconds);
            _fetched.Add("whole_layer", slot.Descriptor.Size);
            return slot.StagedPath;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Bad bytes usually break the gzip or tar stream before the digest is checked at the blob's end:
            // report the digest mismatch, the cause, when the download ends in one.
            var cause = await DownloadFailureAsync(download, cancellationToken).ConfigureAwait(false) ?? ex;
            ParallelPullLog.LayerFailed(logger, slot.Descriptor.Digest, imageReference, cause.Message);
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
}
