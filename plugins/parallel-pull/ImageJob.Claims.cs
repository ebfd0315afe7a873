using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

internal sealed partial class ImageJob
{
    /// <summary>
    /// Waits for <paramref name="layerDigest"/> to be unpacked and moves it into <paramref name="mountpoint"/> (an empty
    /// directory on the same file system). A layer this job does not hold, or has handed out already (an image with the
    /// same layer twice, or a second namespace), is fetched again for this Prepare; a layer whose unpack failed is
    /// retried by the next Prepare. The job's own failure or stop is this Prepare's error.
    /// </summary>
    public async Task ClaimLayerAsync(string layerDigest, string mountpoint, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        Touch();
        try
        {
            await Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            var slot = SlotFor(layerDigest);
            string staged;
            try
            {
                staged = await slot.Staged.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch when (!cancellationToken.IsCancellationRequested)
            {
                lock (_lock)
                {
                    if (_slots.TryGetValue(layerDigest, out var current) && current == slot) _slots.Remove(layerDigest);
                }

                throw;
            }

            lock (_lock)
            {
                if (slot.Claimed) throw new InvalidOperationException($"layer {layerDigest} was handed to another Prepare first");
                NativeMethods.ReplaceEmptyDirectory(staged, mountpoint);
                slot.Claimed = true;
            }

            ParallelPullLog.LayerClaimed(_services.Logger, layerDigest, mountpoint);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && _stop.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the parallel pull of {ReferenceText} was stopped: {_stopReason}", ex);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
            Touch();
        }
    }

    private LayerSlot SlotFor(string layerDigest)
    {
        LayerSlot? fresh;
        lock (_lock)
        {
            if (_slots.TryGetValue(layerDigest, out var slot) && !slot.Claimed) return slot;
            var order = slot?.Order ?? _slots.Count + 1000;
            fresh = NewSlot(order, slot is null ? ImageMetadata.Unlisted(layerDigest) : new ImageMetadata.Layer(slot.Descriptor, slot.DiffId));
            _slots[layerDigest] = fresh;
        }

        _ = StartDownloadAsync(fresh, _stop.Token).ContinueWith(
            t => fresh.Download.TrySetException(t.Exception!.InnerExceptions), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return fresh;
    }

    /// <summary>
    /// Stops the job: cancels its downloads and unpacks, waits for them to unwind, then deletes its staging directory and
    /// drops its blob references. Idempotent; Prepares still waiting get an error naming <paramref name="reason"/>.
    /// </summary>
    public async Task StopAsync(string reason)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stopReason = reason;
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] unpacks;
        lock (_lock) unpacks = [.. _unpacks];
        try
        {
            await Task.WhenAll(unpacks.Append(Ready)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each failure already reached its Prepare (or nobody asked); only unwinding matters here.
        }

        try
        {
            if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
        }
        finally
        {
            BlobDownload[] held;
            lock (_lock)
            {
                held = [.. _held];
                _held.Clear();
            }

            // The limiters are not disposed: a download this job started may go on for another image that shares it.
            foreach (var download in held) _services.Blobs.Release(download);
            ParallelPullLog.JobStopped(_services.Logger, ReferenceText, reason);
        }
    }
}
