using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The image jobs in flight, by key: the manifest digest label, else the image reference (not with the layer list:
/// ctr-remote's <c>stargz.layers</c> lists the layers from the one being prepared on, so it differs per Prepare). Jobs of
/// one image under several tags share their layers' unpacks (<see cref="LayerSlots"/>). A job ends when all its layers
/// are claimed (by its Prepares or another job's), when CleanImage names its image, when the only Prepare waiting on it
/// is cancelled, or when no Prepare has touched it for <c>unclaimed_job_timeout_seconds</c>.
/// </summary>
internal sealed class ImageJobs(PullServices services)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ImageJob> _jobs = new(StringComparer.Ordinal);

    // Every name an image was pulled under (reference, manifest digest label) -> its resolved manifest digest: CleanImage
    // names one of them (whichever tag's Prepare committed the removed snapshot), and the blobs are kept under all of them.
    private readonly Dictionary<string, string> _manifestOf = new(StringComparer.Ordinal);

    /// <summary>Jobs in flight.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _jobs.Count;
        }
    }

    /// <summary>Waits for the Prepare's layer (starting the image's job if it is the first) and moves it into the mount point.</summary>
    public async Task ClaimAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        var job = GetOrStart(layer); // counts this Prepare as waiting, so no other claim ends the job under it
        try
        {
            await job.ClaimLayerAsync(layer.LayerDigest!, layer.Mountpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client gave up (killed, or its pull cancelled): with nobody else waiting, the pull is abandoned.
            if (LeaveWaiting(job) == 0) await EndAsync(job, "the Prepare waiting for it was cancelled").ConfigureAwait(false);
            throw;
        }
        catch (Exception) when (job.Ready.IsFaulted)
        {
            // The image could not be resolved: this Prepare has the error; the next one starts afresh.
            LeaveWaiting(job);
            await EndAsync(job, "resolving the image failed").ConfigureAwait(false);
            throw;
        }
        catch
        {
            LeaveWaiting(job);
            throw;
        }

        ImageJob[] done;
        lock (_lock)
        {
            job.LeaveWaiting();
            if (job.ManifestDigest is { } manifest)
            {
                _manifestOf[job.ReferenceText] = manifest;
                _manifestOf[job.Key] = manifest;
            }

            // The layer may have been the last one another job (the same image under another tag) still held.
            done = _jobs.Values.Where(j => j.Waiters == 0 && j.AllClaimed).ToArray();
        }

        foreach (var finished in done)
        {
            ParallelPullLog.JobDone(services.Logger, finished.ReferenceText);
            await EndAsync(finished, "every layer was claimed").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the jobs of an image (manifest digest or reference) and forgets its kept blobs, under every name the same
    /// manifest was pulled under.
    /// </summary>
    public async Task CleanImageAsync(string image)
    {
        services.Images.Forget(image);
        ImageJob[] matching;
        HashSet<string> names;
        lock (_lock)
        {
            var manifests = new HashSet<string>(StringComparer.Ordinal) { image };
            if (_manifestOf.TryGetValue(image, out var resolved)) manifests.Add(resolved);
            names = [image, .. _manifestOf.Where(a => manifests.Contains(a.Value)).Select(a => a.Key), .. manifests];
            foreach (var name in names) _manifestOf.Remove(name);
            matching = _jobs.Values.Where(j => names.Any(j.Matches)).ToArray();
        }

        foreach (var job in matching) await EndAsync(job, "its image was cleaned (its snapshots were removed)").ConfigureAwait(false);
        var deleted = services.Blobs.ForgetImage(names);
        if (deleted > 0) ParallelPullLog.BlobsForgotten(services.Logger, deleted, image);
    }

    /// <summary>Stops jobs nobody waits on that no Prepare touched since <paramref name="now"/> minus the timeout.</summary>
    public async Task ExpireIdleAsync(DateTimeOffset now)
    {
        var timeout = TimeSpan.FromSeconds(services.Options.UnclaimedJobTimeoutSeconds);
        ImageJob[] idle;
        lock (_lock) idle = _jobs.Values.Where(j => j.Waiters == 0 && now - j.LastActivity >= timeout).ToArray();
        foreach (var job in idle) await EndAsync(job, $"no Prepare claimed its layers for {timeout.TotalSeconds:0} s").ConfigureAwait(false);
    }

    /// <summary>Stops every job (shutdown).</summary>
    public async Task StopAllAsync()
    {
        ImageJob[] all;
        lock (_lock) all = [.. _jobs.Values];
        foreach (var job in all) await EndAsync(job, "the snapshotter is stopping").ConfigureAwait(false);
    }

    private ImageJob GetOrStart(LayerRequest layer)
    {
        var referenceText = layer.ImageReference!;
        var key = layer.ManifestDigest ?? referenceText;
        lock (_lock)
        {
            if (_jobs.TryGetValue(key, out var existing) && !existing.Ready.IsFaulted && !existing.Ready.IsCanceled)
            {
                existing.EnterWaiting();
                return existing;
            }

            if (existing is not null)
            {
                _jobs.Remove(key);
                _ = existing.StopAsync("it failed; a new Prepare starts it again");
            }

            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(referenceText);
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"the Prepare labels carry an invalid image reference: {ex.Message}", ex);
            }

            var job = new ImageJob(key, reference, referenceText, layer.ManifestDigest, layer.ImageLayers, services);
            job.EnterWaiting();
            job.Start(layer.LayerDigest!);
            _jobs[key] = job;
            return job;
        }
    }

    private int LeaveWaiting(ImageJob job)
    {
        lock (_lock) return job.LeaveWaiting();
    }

    private async Task EndAsync(ImageJob job, string reason)
    {
        lock (_lock)
        {
            if (_jobs.TryGetValue(job.Key, out var current) && current == job) _jobs.Remove(job.Key);
        }

        await job.StopAsync(reason).ConfigureAwait(false);
    }
}
