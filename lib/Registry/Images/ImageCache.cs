using System.Collections.Concurrent;

namespace PluggableSnapshotter.Registry.Images;

/// <summary>
/// What a backend works out once per image and reuses for every layer of it: containerd prepares an image's layers one
/// after another, and each Prepare asks the same question. Kept per key for an expiry (a tag may move; a forgotten
/// image's memory is freed), shared by the requests that arrive while it is being worked out, and never kept when it
/// failed (the next Prepare tries again). The one per-image cache: <see cref="ImageCatalog"/> keeps resolved images in
/// one, the soci backend its discovered SOCI indexes.
/// </summary>
/// <typeparam name="T">What is kept per image.</typeparam>
/// <remarks>Thread-safe.</remarks>
public sealed class ImageCache<T>
    where T : class
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _expiry;
    private readonly TimeProvider _time;
    private readonly Func<T, IReadOnlyList<string>> _digests;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="expiry">How long a value is reused after it was asked for the first time.</param>
    /// <param name="digests">The digests a value also goes by (manifest, index), so <see cref="Forget"/> finds it by them.</param>
    /// <param name="time">The clock expiry is measured with; null for the system clock.</param>
    public ImageCache(TimeSpan expiry, Func<T, IReadOnlyList<string>> digests, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(digests);
        _expiry = expiry;
        _digests = digests;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// The value kept for <paramref name="key"/>, else the one <paramref name="create"/> makes (once, however many ask).
    /// </summary>
    /// <param name="key">The image: <c>registry/repository@digest</c> when pinned, else the reference (what <see cref="Forget"/> matches).</param>
    /// <param name="create">Works the value out. It is shared by every caller, so it gets no caller's token: bound it with timeouts.</param>
    /// <param name="cancellationToken">Stops this caller's wait, not the shared work.</param>
    public async Task<T> GetAsync(string key, Func<Task<T>> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(create);
        var now = _time.GetUtcNow();
        RemoveExpired(now);

        var entry = _entries.GetOrAdd(key, _ => new Entry(now, this, create));
        try
        {
            return await entry.Value.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (entry.Value.Value.IsFaulted || entry.Value.Value.IsCanceled)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry)); // not kept: the next Prepare tries again
            throw;
        }
    }

    /// <summary>
    /// Forgets every value whose key is <paramref name="image"/> or ends in <c>@</c><paramref name="image"/>, or that goes by
    /// the digest <paramref name="image"/> (what containerd's CleanImage names), so its next use works it out again.
    /// </summary>
    public void Forget(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        foreach (var (key, entry) in _entries)
        {
            if (key == image || key.EndsWith("@" + image, StringComparison.Ordinal) || entry.Names(image))
                _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.Created >= _expiry) _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    /// <summary>One image's value, shared by the requests that arrive while it is kept.</summary>
    private sealed class Entry
    {
        private volatile IReadOnlyList<string> _digests = [];

        public Entry(DateTimeOffset created, ImageCache<T> cache, Func<Task<T>> create)
        {
            Created = created;
            Value = new Lazy<Task<T>>(async () =>
            {
                var value = await create().ConfigureAwait(false);
                _digests = cache._digests(value);
                return value;
            });
        }

        public DateTimeOffset Created { get; }

        public Lazy<Task<T>> Value { get; }

        public bool Names(string digest) => _digests.Contains(digest, StringComparer.Ordinal);
    }
}
