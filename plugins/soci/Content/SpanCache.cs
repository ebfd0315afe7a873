namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// Decompressed spans shared by every mounted layer, at most a fixed number of them (least recently used go first).
/// Concurrent reads of one span share one fetch; a failed fetch is not kept, so the next read tries again.
/// </summary>
internal sealed class SpanCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SpanKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recently used first

    private sealed record Entry(SpanKey Key, Task<byte[]> Span);

    /// <summary>The number of spans held or being fetched.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>The span <paramref name="key"/> names, from the cache or from <paramref name="fetch"/>.</summary>
    public async Task<byte[]> GetAsync(SpanKey key, Func<Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        Task<byte[]> span;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                span = node.Value.Span;
            }
            else
            {
                span = fetch();
                _entries[key] = _recency.AddFirst(new Entry(key, span));
                while (_entries.Count > capacity && _recency.Last is { } oldest)
                {
                    _recency.RemoveLast();
                    _entries.Remove(oldest.Value.Key);
                }
            }
        }
        try
        {
            return await span.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (span.IsFaulted || span.IsCanceled)
        {
            Forget(key, span);
            throw;
        }
    }

    /// <summary>Drops every span of the layer <paramref name="layerDigest"/>.</summary>
    public void Evict(string layerDigest)
    {
        lock (_lock)
        {
            foreach (var key in _entries.Keys.Where(k => k.LayerDigest == layerDigest).ToList())
            {
                _recency.Remove(_entries[key]);
                _entries.Remove(key);
            }
        }
    }

    private void Forget(SpanKey key, Task<byte[]> span)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node) && node.Value.Span == span)
            {
                _recency.Remove(node);
                _entries.Remove(key);
            }
        }
    }
}
