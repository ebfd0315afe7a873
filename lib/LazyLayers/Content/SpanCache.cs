using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Decompressed spans shared by every mounted layer, bounded both in entries and in bytes (least recently used go
/// first). Concurrent reads of one span share one fetch; a failed fetch is not kept, so the next read tries again. A span
/// still being fetched counts at its expected size and stays until it is done (its readers wait for it), so a burst of
/// reads can pass the byte bound by what they are fetching, until those fetches end.
/// The cache also lends the arrays spans are decompressed into (<see cref="Rent"/>): an evicted span's array, once its
/// last reader let go, is kept as a spare (at most <see cref="MaxSpareArrays"/>) for the next span, and the spares go
/// back to the GC once a full collection finds none rented since the one before (reads have stopped).
/// </summary>
public sealed class SpanCache
{
    /// <summary>
    /// Idle arrays kept for the next spans: a miss evicts a span as it adds one, but read-ahead and concurrent readers
    /// let several go at once while readers still copy out of them.
    /// </summary>
    public const int MaxSpareArrays = 8;

    // Arrays are allocated in steps of this, so that spans a little longer or shorter than the one before (a zTOC's spans
    // end where a deflate block does) fit the same arrays. Not lib/Registry's IdleReleasingArrayPool: its power-of-two
    // sizes would hold each 4 MiB span (and a few KiB) in an 8 MiB array.
    private const int ArrayStep = 128 * 1024;

    private readonly int _maxEntries;
    private readonly long _maxBytes;
    private readonly Lock _lock = new();
    private readonly Dictionary<SpanKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly Lock _sparesLock = new(); // taken alone or inside _lock, never the other way round
    private readonly List<byte[]> _spares = [];
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _arraysAllocated;
    private long _arraysReused;
    private bool _rentedSinceLastCollection;

    /// <param name="maxEntries">Spans held at most.</param>
    /// <param name="maxBytes">Bytes of spans held at most (the newest span stays even when it alone is more).</param>
    /// <param name="releaseSparesWhenIdle">Whether full collections let the spares go when none was rented since the previous one (tests turn it off).</param>
    public SpanCache(int maxEntries, long maxBytes, bool releaseSparesWhenIdle = true)
    {
        (_maxEntries, _maxBytes) = (maxEntries, maxBytes);
        if (releaseSparesWhenIdle) FullCollectionCallback.Register(this, static cache => cache.OnFullCollection());
    }

    /// <summary>Reads that found their span held or being fetched (metrics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Reads that started a fetch (metrics).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Arrays allocated for spans (metrics): a span decompressed while no spare fitted.</summary>
    public long ArraysAllocated => Interlocked.Read(ref _arraysAllocated);

    /// <summary>Spans decompressed into a spare array (metrics).</summary>
    public long ArraysReused => Interlocked.Read(ref _arraysReused);

    private sealed record Entry(SpanKey Key, Task<SpanBuffer> Span, long Bytes);

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

    /// <summary>The bytes of the spare arrays.</summary>
    public long SpareBytes
    {
        get
        {
            lock (_sparesLock) return _spares.Sum(a => (long)a.Length);
        }
    }

    /// <summary>Whether span <paramref name="key"/> is held or being fetched (no recency change).</summary>
    public bool Contains(SpanKey key)
    {
        lock (_lock) return _entries.ContainsKey(key);
    }

    /// <summary>
    /// A buffer of <paramref name="length"/> bytes for a span being decompressed, a spare when one fits. Its one reference
    /// is the caller's, handed to the cache by returning it from a fetch (or let go with Dispose when that fails).
    /// </summary>
    public SpanBuffer Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[]? array = null;
        lock (_sparesLock)
        {
            _rentedSinceLastCollection = true;
            // The smallest spare that fits without wasting more than a step (what the byte bound does not count).
            var best = -1;
            for (var i = 0; i < _spares.Count; i++)
            {
                var spare = _spares[i].Length;
                if (spare >= length && spare <= length + ArrayStep && (best < 0 || spare < _spares[best].Length)) best = i;
            }
            if (best >= 0)
            {
                array = _spares[best];
                _spares.RemoveAt(best);
            }
        }
        if (array is null)
        {
            Interlocked.Increment(ref _arraysAllocated);
            array = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, ((long)length + ArrayStep - 1) / ArrayStep * ArrayStep));
        }
        else
        {
            Interlocked.Increment(ref _arraysReused);
        }
        return new SpanBuffer(this, array, length);
    }

    /// <summary>Takes back the array of a buffer whose last reference was let go.</summary>
    internal void Return(byte[] array)
    {
        lock (_sparesLock)
        {
            if (_spares.Count < MaxSpareArrays) _spares.Add(array);
        }
    }

    /// <summary>Lets every spare go when none was rented since the previous full collection (reads have stopped).</summary>
    internal void OnFullCollection()
    {
        lock (_sparesLock)
        {
            if (!_rentedSinceLastCollection) _spares.Clear();
            _rentedSinceLastCollection = false;
        }
    }

    /// <summary>
    /// The span <paramref name="key"/> names, from the cache or from <paramref name="fetch"/> (about <paramref name="bytes"/>
    /// long), with a reference the caller lets go of (Dispose) once it has copied what it needs.
    /// </summary>
    public async Task<SpanBuffer> GetAsync(SpanKey key, long bytes, Func<Task<SpanBuffer>> fetch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var buffer = await Find(key, bytes, fetch, countHit: attempt == 1).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (buffer.TryAddReference()) return buffer;
            // Evicted and given back between its fetch's end and this reader: fetched again.
        }
        // Twice over (a cache far too small for its readers): this reader fetches one of its own, not kept.
        return await fetch().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts loading span <paramref name="key"/> into the cache unless it is held or being fetched (read-ahead); takes no reference.</summary>
    public Task LoadAsync(SpanKey key, long bytes, Func<Task<SpanBuffer>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        return Find(key, bytes, fetch, countHit: false);
    }

    /// <summary>Drops every span of the layer <paramref name="layerDigest"/>.</summary>
    public void Evict(string layerDigest)
    {
        lock (_lock)
        {
            foreach (var key in _entries.Keys.Where(k => k.LayerDigest == layerDigest).ToList()) RemoveLocked(_entries[key]);
        }
    }

    /// <summary>
    /// Lets span <paramref name="key"/> go if the cache still holds <paramref name="span"/> for it (its owner keeps it
    /// elsewhere now, on disk: the room is worth more to a span that is not); readers holding it keep their reference.
    /// </summary>
    public void Forget(SpanKey key, SpanBuffer span)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node) && node.Value.Span.IsCompletedSuccessfully && ReferenceEquals(node.Value.Span.Result, span))
                RemoveLocked(node);
        }
    }

    private Task<SpanBuffer> Find(SpanKey key, long bytes, Func<Task<SpanBuffer>> fetch, bool countHit)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                if (countHit) _hits++;
                return node.Value.Span;
            }
            _misses++;
            // Room first, so that the arrays of the spans let go are spares by the time the fetch asks for one.
            _bytes += bytes;
            EvictOverBoundLocked(extraEntries: 1);
            Task<SpanBuffer> span;
            try
            {
                span = fetch();
            }
            catch
            {
                _bytes -= bytes; // nothing was added
                throw;
            }
            _entries[key] = _recency.AddFirst(new Entry(key, span, bytes));
            _ = span.ContinueWith(done => Fetched(key, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return span;
        }
    }

    /// <summary>
    /// A fetch ended: a failed one is forgotten (the next read tries again); after one that worked, spans a burst of reads
    /// fetched past the bounds go now, not at the next miss.
    /// </summary>
    private void Fetched(SpanKey key, Task<SpanBuffer> span)
    {
        lock (_lock)
        {
            if (span.IsCompletedSuccessfully) EvictOverBoundLocked(extraEntries: 0, keep: key);
            else if (_entries.TryGetValue(key, out var node) && node.Value.Span == span) RemoveLocked(node);
        }
    }

    /// <summary>
    /// Lets the least recently used spans go until the bounds hold; spans still being fetched stay, and so does
    /// <paramref name="keep"/> (a span just fetched, whose reader needs it even when it alone is over the bound).
    /// </summary>
    private void EvictOverBoundLocked(int extraEntries, SpanKey? keep = null)
    {
        var candidate = _recency.Last;
        while ((_entries.Count + extraEntries > _maxEntries || _bytes > _maxBytes) && candidate is not null)
        {
            var newer = candidate.Previous;
            if (candidate.Value.Span.IsCompletedSuccessfully && candidate.Value.Key != keep) RemoveLocked(candidate);
            candidate = newer;
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Bytes;
        // The cache's own reference; readers still copying hold theirs, and the last one gives the array back.
        if (node.Value.Span.IsCompletedSuccessfully)
        {
            node.Value.Span.Result.Dispose();
        }
        else
        {
            _ = node.Value.Span.ContinueWith(static done => done.Result.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
