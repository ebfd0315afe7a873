namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// A decompressed span's bytes in an array the <see cref="SpanCache"/> lends out and takes back: the cache's entry holds
/// one reference and each reader another while it copies (<see cref="SpanCache.GetAsync"/>). The last
/// <see cref="Dispose"/> gives the array back to the cache, which hands it to the next span decompressed instead of the
/// large object heap getting a fresh 4 MiB array per span (a first read of a 1 GB image made 1.4 GB of such garbage).
/// </summary>
public sealed class SpanBuffer : IDisposable
{
    private readonly SpanCache _owner;
    private byte[]? _array;
    private int _references = 1;

    internal SpanBuffer(SpanCache owner, byte[] array, int length)
    {
        (_owner, _array, Length) = (owner, array, length);
    }

    /// <summary>The span's length in bytes (its array may be longer).</summary>
    public int Length { get; }

    /// <summary>The bytes, for the one that fills them before handing the buffer to the cache.</summary>
    public Span<byte> Span => Array.AsSpan(0, Length);

    /// <summary>The bytes, readable while a reference is held.</summary>
    public ReadOnlyMemory<byte> Memory => Array.AsMemory(0, Length);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(SpanBuffer));

    /// <summary>
    /// Takes another reference (let go of with another <see cref="Dispose"/>), unless the last one was let go already (the
    /// array may then be another span's).
    /// </summary>
    public bool TryAddReference()
    {
        var seen = Volatile.Read(ref _references);
        while (seen > 0)
        {
            var before = Interlocked.CompareExchange(ref _references, seen + 1, seen);
            if (before == seen) return true;
            seen = before;
        }
        return false;
    }

    /// <summary>Lets go of one reference; the last gives the array back.</summary>
    public void Dispose()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left > 0) return;
        if (left < 0) throw new InvalidOperationException("a span buffer was let go of more often than it was held");
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null) _owner.Return(array);
    }
}
