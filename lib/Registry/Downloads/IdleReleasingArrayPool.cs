using System.Buffers;
using System.Numerics;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// An array pool for large buffers that holds at most <c>maxArraysPerBucket</c> idle arrays per power-of-two size, and
/// lets go of all of them once a full (gen2) collection finds the pool unused since the previous one. A fill reuses its
/// chunk buffers while it runs; once it is over, the buffers go back to the GC instead of staying resident for the
/// daemon's life (<see cref="ArrayPool{T}.Create(int, int)"/> never gives anything back: after a fill it held ~57 MB of
/// large object heap in bench/lazy's 10-image memory row).
/// </summary>
internal sealed class IdleReleasingArrayPool : ArrayPool<byte>
{
    private const int MinimumLength = 16;
    private readonly int _maxArrayLength;
    private readonly int _maxArraysPerBucket;
    private readonly Stack<byte[]>[] _buckets;
    private readonly Lock _lock = new();
    private bool _rentedSinceLastCollection;
    private long _idleBytes;

    /// <param name="maxArrayLength">Longer arrays are allocated and left to the GC.</param>
    /// <param name="maxArraysPerBucket">Idle arrays kept per power-of-two size.</param>
    /// <param name="releaseOnFullCollections">
    /// Whether full collections call <see cref="OnFullCollection"/> (false: only its caller does, as tests do, so that a
    /// collection some other work triggers cannot release arrays in the middle of a check).
    /// </param>
    public IdleReleasingArrayPool(int maxArrayLength, int maxArraysPerBucket, bool releaseOnFullCollections = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArrayLength, MinimumLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxArraysPerBucket);
        _maxArrayLength = (int)BitOperations.RoundUpToPowerOf2((uint)maxArrayLength);
        _maxArraysPerBucket = maxArraysPerBucket;
        _buckets = new Stack<byte[]>[BucketOf(_maxArrayLength) + 1];
        for (var i = 0; i < _buckets.Length; i++) _buckets[i] = new Stack<byte[]>(maxArraysPerBucket);
        if (releaseOnFullCollections) FullCollectionCallback.Register(this, static pool => pool.OnFullCollection());
    }

    /// <summary>Bytes held in idle arrays (tests, diagnostics).</summary>
    public long IdleBytes
    {
        get
        {
            lock (_lock) return _idleBytes;
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0) return [];
        if (minimumLength > _maxArrayLength) return GC.AllocateUninitializedArray<byte>(minimumLength);
        var bucket = BucketOf(minimumLength);
        lock (_lock)
        {
            _rentedSinceLastCollection = true;
            if (_buckets[bucket].TryPop(out var pooled))
            {
                _idleBytes -= pooled.Length;
                return pooled;
            }
        }
        return GC.AllocateUninitializedArray<byte>(LengthOf(bucket));
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        // Arrays this pool did not hand out (not a bucket's length) are left to the GC, as are those over the bound.
        if (array.Length < MinimumLength || array.Length > _maxArrayLength || !BitOperations.IsPow2(array.Length)) return;
        if (clearArray) Array.Clear(array);
        var bucket = BucketOf(array.Length);
        lock (_lock)
        {
            if (_buckets[bucket].Count >= _maxArraysPerBucket) return;
            _buckets[bucket].Push(array);
            _idleBytes += array.Length;
        }
    }

    /// <summary>
    /// Called after each full collection: drops every idle array when nothing was rented since the previous call, so a
    /// pool in use keeps its arrays and an unused one is empty after two full collections.
    /// </summary>
    internal void OnFullCollection()
    {
        lock (_lock)
        {
            if (_rentedSinceLastCollection)
            {
                _rentedSinceLastCollection = false;
                return;
            }
            ReleaseIdle();
        }
    }

    /// <summary>Lets every idle array go now (the last fill just ended: whatever reads still come rent anew).</summary>
    public void ReleaseIdle()
    {
        lock (_lock)
        {
            foreach (var bucket in _buckets) bucket.Clear();
            _idleBytes = 0;
        }
    }

    private static int BucketOf(int length) => BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, MinimumLength))) - BitOperations.Log2(MinimumLength);

    private static int LengthOf(int bucket) => MinimumLength << bucket;
}
