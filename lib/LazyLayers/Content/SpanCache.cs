namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Decompressed spans shared by every mounted layer, bounded both in entries and in bytes (least recently used go
/// first). Concurrent reads of one span share one fetch; a failed fetch is not kept, so the next read tries again.
/// Spans still being fetched count at their expected size, so a burst of reads cannot overshoot the byte bound.
/// </summary>
public sealed class SpanCache(int maxEntries, long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SpanKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private long _bytes;
    private long _hits;
    private long _misses;

    /// <summary>Reads that found their span held or being fetched (metrics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Reads that started a fetch (metrics).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    private sealed record Entry(SpanKey Key, Task<byte[]> Span, long Bytes);

    /// <summary>The number of spans held or being fetched.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>The bytes held or being fetched.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock) return _bytes;
        }
    }

    /// <summary>Whether span <paramref name="key"/> is held or being fetched (no recency change).</summary>
    public bool Contains(SpanKey key)
    {
        lock (_lock) return _entries.ContainsKey(key);
    }

    /// <summary>The span <paramref name="key"/> names, from the cache or from <paramref name="fetch"/> (<paramref name="bytes"/> long).</summary>
    public async Task<byte[]> GetAsync(SpanKey key, long bytes, Func<Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        Task<byte[]> span;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                span = node.Value.Span;
                _hits++;
            }
            else
            {
                span = fetch();
                _misses++;
                _entries[key] = _recency.AddFirst(new Entry(key, span, bytes));
                _bytes += bytes;
                // The newest entry stays even when it alone is over the bound: its reader needs it.
                while ((_entries.Count > maxEntries || _bytes > maxBytes) && _recency.Last is { } oldest && oldest.Value.Key != key)
                {
                    RemoveLocked(oldest);
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
            foreach (var key in _entries.Keys.Where(k => k.LayerDigest == layerDigest).ToList()) RemoveLocked(_entries[key]);
        }
    }

    private void Forget(SpanKey key, Task<byte[]> span)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node) && node.Value.Span == span) RemoveLocked(node);
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Bytes;
    }
}
