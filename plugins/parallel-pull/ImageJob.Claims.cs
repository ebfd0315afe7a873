namespace PluggableSnapshotter.Plugins.ParallelPull;

internal sealed partial class ImageJob
{
    /// <summary>
    /// Waits for <paramref name="layerDigest"/> to be unpacked and moves it into <paramref name="mountpoint"/> (an empty
    /// directory on the same file system). A layer this job does not hold, or whose slot another Prepare took first (an
    /// image with the same layer twice, another image sharing it in another chain, a second namespace), comes from another
    /// slot: one another pull unpacks, else a new unpack for this Prepare; a layer whose unpack failed is retried by the
    /// next Prepare. The job's own failure or stop is this Prepare's error.
    /// </summary>
    public async Task ClaimLayerAsync(string layerDigest, string mountpoint, CancellationToken cancellationToken)
    {
        try
        {
            await Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            // A shared slot goes on for other pulls when this job stops: stop waiting then, too.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            while (true)
            {
                var slot = SlotFor(layerDigest);
                await slot.Staged.WaitAsync(waiting.Token).ConfigureAwait(false);
                if (_services.Slots.TryClaim(slot, mountpoint)) break;
            }

            ParallelPullLog.LayerClaimed(_services.Logger, layerDigest, mountpoint);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && _stop.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the parallel pull of {ReferenceText} was stopped: {_stopReason}", ex);
        }
        finally
        {
            Touch();
        }
    }

    /// <summary>Counts a Prepare as waiting on this job (before it claims; <see cref="ImageJobs"/> does it under its lock).</summary>
    public void EnterWaiting()
    {
        Interlocked.Increment(ref _waiters);
        Touch();
    }

    /// <summary>The Prepare stopped waiting; returns how many still wait.</summary>
    public int LeaveWaiting()
    {
        Touch();
        return Interlocked.Decrement(ref _waiters);
    }

    // This job's slot for the layer while it can still be had; else a fresh hold (shared or new) whose download this job starts.
    private LayerSlot SlotFor(string layerDigest)
    {
        LayerSlot fresh;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested) throw new OperationCanceledException(_stop.Token);
            if (_slots.TryGetValue(layerDigest, out var slot) && (slot.IsAvailable || !slot.Staged.IsCompleted)) return slot;
            fresh = HoldSlot(slot is null ? ImageMetadata.Unlisted(layerDigest) : new ImageMetadata.Layer(slot.Descriptor, slot.DiffId));
            _slots[layerDigest] = fresh;
        }

        _ = StartDownloadAsync(fresh, _stop.Token).ContinueWith(
            t => fresh.Download.TrySetException(t.Exception!.InnerExceptions), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return fresh;
    }

    /// <summary>
    /// Stops the job: cancels its downloads, lets go of its layer slots (those no other pull holds are cancelled and their
    /// staging deleted) and so of their blobs. Idempotent; Prepares still waiting get an error naming <paramref name="reason"/>.
    /// </summary>
    public async Task StopAsync(string reason)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stopReason = reason;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Ready.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The failure already reached its Prepare; only unwinding matters here.
        }

        LayerSlot[] held;
        lock (_lock)
        {
            held = [.. _held];
            _held.Clear();
        }

        // The limiters are not disposed: a download this job started may go on for another pull that shares its slot.
        foreach (var slot in held) await _services.Slots.ReleaseAsync(slot).ConfigureAwait(false);
        ParallelPullLog.JobStopped(_services.Logger, ReferenceText, reason);
    }
}
