namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>A concurrency limit (SOCI's negative value: unbounded), entered together with an enclosing one.</summary>
public sealed class DownloadLimiter(int limit) : IDisposable
{
    private readonly SemaphoreSlim? _semaphore = limit > 0 ? new SemaphoreSlim(limit, limit) : null;

    /// <summary>Waits for a slot here and then in <paramref name="outer"/> (per image first, then global, so one image cannot hoard global slots while it waits).</summary>
    public async Task<Slot> EnterAsync(DownloadLimiter? outer, CancellationToken cancellationToken)
    {
        if (_semaphore is not null) await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (outer?._semaphore is not null) await outer._semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _semaphore?.Release();
            throw;
        }

        return new Slot(_semaphore, outer?._semaphore);
    }

    public void Dispose() => _semaphore?.Dispose();

    /// <summary>A held slot; disposing it gives it back.</summary>
    public sealed class Slot(SemaphoreSlim? inner, SemaphoreSlim? outer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            outer?.Release();
            inner?.Release();
        }
    }
}
