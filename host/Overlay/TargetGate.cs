namespace PluggableSnapshotter.Host.Overlay;

/// <summary>
/// One remote Prepare at a time per target snapshot name. containerd 1.6 does not serialize unpacks of one chain: pulls of
/// one image under several tags (or of images sharing their lower layers) Prepare the same target at once, and without
/// this each would fetch and unpack the layer only to find the target committed. Behind the gate, the later ones see the
/// target exists and answer AlreadyExists at once.
/// </summary>
internal sealed class TargetGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Holders and waiters; guarded by the gate's dictionary lock.</summary>
        public int Users { get; set; }
    }

    /// <summary>Waits until no other Prepare works on <paramref name="target"/>; dispose the result to let the next one in.</summary>
    public async Task<IDisposable> EnterAsync(string target, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(target, out entry!)) _entries[target] = entry = new Entry();
            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(target, entry, release: false);
            throw;
        }

        return new Pass(this, target, entry);
    }

    private void Leave(string target, Entry entry, bool release)
    {
        if (release) entry.Semaphore.Release();
        lock (_entries)
        {
            if (--entry.Users > 0) return;
            _entries.Remove(target);
        }

        entry.Semaphore.Dispose();
    }

    private sealed class Pass(TargetGate gate, string target, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) gate.Leave(target, entry, release: true);
        }
    }
}
