using PluggableSnapshotter.LazyLayers.Content;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class SpanCacheTests
{
    private static Task<SpanBuffer> Filled(SpanCache cache, params byte[] bytes)
    {
        var span = cache.Rent(bytes.Length);
        bytes.CopyTo(span.Span);
        return Task.FromResult(span);
    }

    private static async Task<byte[]> Copy(SpanCache cache, SpanKey key, long bytes, Func<Task<SpanBuffer>> fetch)
    {
        using var span = await cache.GetAsync(key, bytes, fetch, CancellationToken.None);
        return span.Memory.ToArray();
    }

    [Fact]
    public async Task GetAsync_SameSpanTwice_FetchesOnce()
    {
        var cache = new SpanCache(4, long.MaxValue);
        var fetches = 0;

        for (var i = 0; i < 2; i++)
            await Copy(cache, new SpanKey("sha256:a", 0), 1, () => { fetches++; return Filled(cache, 1); });

        Assert.Equal(1, fetches);
    }

    [Fact]
    public async Task GetAsync_OverCapacity_EvictsLeastRecentlyUsed()
    {
        var cache = new SpanCache(2, long.MaxValue);
        var fetched = new List<int>();
        Task<SpanBuffer> Fetch(int id) { fetched.Add(id); return Filled(cache, (byte)id); }

        await Copy(cache, new SpanKey("l", 0), 1, () => Fetch(0));
        await Copy(cache, new SpanKey("l", 1), 1, () => Fetch(1));
        await Copy(cache, new SpanKey("l", 0), 1, () => Fetch(0)); // 0 is now the most recent
        await Copy(cache, new SpanKey("l", 2), 1, () => Fetch(2)); // evicts 1
        await Copy(cache, new SpanKey("l", 0), 1, () => Fetch(0));
        await Copy(cache, new SpanKey("l", 1), 1, () => Fetch(1));

        Assert.Equal([0, 1, 2, 1], fetched);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task GetAsync_FailedFetch_IsNotKept()
    {
        var cache = new SpanCache(4, long.MaxValue);

        await Assert.ThrowsAsync<InvalidDataException>(() =>
            cache.GetAsync(new SpanKey("l", 0), 1, () => Task.FromException<SpanBuffer>(new InvalidDataException("bad digest")), CancellationToken.None));
        var span = await Copy(cache, new SpanKey("l", 0), 1, () => Filled(cache, 7));

        Assert.Equal([7], span);
    }

    [Fact]
    public async Task Evict_Layer_DropsOnlyThatLayersSpans()
    {
        var cache = new SpanCache(4, long.MaxValue);
        await Copy(cache, new SpanKey("a", 0), 1, () => Filled(cache, 1));
        await Copy(cache, new SpanKey("b", 0), 1, () => Filled(cache, 2));

        cache.Evict("a");

        Assert.Equal(1, cache.Count);
        Assert.False(cache.Contains(new SpanKey("a", 0)));
    }

    [Fact]
    public async Task GetAsync_OverByteBound_EvictsLeastRecentlyUsedUntilUnder()
    {
        var cache = new SpanCache(100, maxBytes: 10);

        await Copy(cache, new SpanKey("l", 0), 4, () => Filled(cache, new byte[4]));
        await Copy(cache, new SpanKey("l", 1), 4, () => Filled(cache, new byte[4]));
        await Copy(cache, new SpanKey("l", 2), 4, () => Filled(cache, new byte[4])); // 12 > 10: evicts 0

        Assert.Equal(2, cache.Count);
        Assert.Equal(8, cache.Bytes);
        Assert.False(cache.Contains(new SpanKey("l", 0)));
    }

    [Fact]
    public async Task GetAsync_OneSpanLargerThanTheBound_IsStillReturnedAndKeptAlone()
    {
        var cache = new SpanCache(100, maxBytes: 10);
        await Copy(cache, new SpanKey("l", 0), 4, () => Filled(cache, new byte[4]));

        var span = await Copy(cache, new SpanKey("l", 1), 16, () => Filled(cache, new byte[16]));

        Assert.Equal(16, span.Length);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetAsync_SpanEvictedWithoutReaders_ItsArrayTakesTheNextSpan()
    {
        var cache = new SpanCache(1, long.MaxValue, releaseSparesWhenIdle: false);
        await Copy(cache, new SpanKey("l", 0), 4, () => Filled(cache, 1, 1, 1, 1));

        var second = await Copy(cache, new SpanKey("l", 1), 4, () => Filled(cache, 2, 2, 2, 2)); // evicts span 0 first

        Assert.Equal([2, 2, 2, 2], second);
        Assert.Equal(1, cache.ArraysAllocated);
        Assert.Equal(1, cache.ArraysReused);
        Assert.Equal(0, cache.SpareBytes);
    }

    [Fact]
    public async Task GetAsync_SpanEvictedWhileARead_KeepsItsBytesUntilTheReaderLetsGo()
    {
        var cache = new SpanCache(1, long.MaxValue, releaseSparesWhenIdle: false);
        var held = await cache.GetAsync(new SpanKey("l", 0), 4, () => Filled(cache, 1, 1, 1, 1), CancellationToken.None);

        var second = await Copy(cache, new SpanKey("l", 1), 4, () => Filled(cache, 2, 2, 2, 2)); // evicts span 0

        Assert.False(cache.Contains(new SpanKey("l", 0)));
        Assert.Equal([1, 1, 1, 1], held.Memory.ToArray());
        Assert.Equal([2, 2, 2, 2], second);
        Assert.Equal(2, cache.ArraysAllocated);
        Assert.Equal(0, cache.SpareBytes);
        held.Dispose();
        Assert.True(cache.SpareBytes > 0);
        Assert.Throws<ObjectDisposedException>(() => held.Memory);
    }

    [Fact]
    public async Task GetAsync_SpanStillBeingFetched_IsNotEvicted()
    {
        var cache = new SpanCache(1, long.MaxValue);
        var pending = new TaskCompletionSource<SpanBuffer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = cache.GetAsync(new SpanKey("l", 0), 4, () => pending.Task, CancellationToken.None);

        await Copy(cache, new SpanKey("l", 1), 4, () => Filled(cache, 2, 2, 2, 2)); // over the bound: only span 0 could go
        var fetchedAgain = false;
        var second = cache.GetAsync(new SpanKey("l", 0), 4, () => { fetchedAgain = true; return Filled(cache, 9, 9, 9, 9); }, CancellationToken.None);
        pending.SetResult(await Filled(cache, 1, 1, 1, 1));

        using var first = await waiting;
        using var again = await second;
        Assert.False(fetchedAgain);
        Assert.Equal([1, 1, 1, 1], first.Memory.ToArray());
        Assert.Equal([1, 1, 1, 1], again.Memory.ToArray());
    }

    [Fact]
    public async Task LoadAsync_TakesNoReference_SoEvictionGivesTheArrayBack()
    {
        var cache = new SpanCache(1, long.MaxValue, releaseSparesWhenIdle: false);
        await cache.LoadAsync(new SpanKey("l", 0), 4, () => Filled(cache, 1, 1, 1, 1));
        Assert.True(cache.Contains(new SpanKey("l", 0)));

        cache.Evict("l");

        Assert.Equal(0, cache.Count);
        Assert.True(cache.SpareBytes > 0);
    }

    [Fact]
    public void Rent_LongerThanEverySpare_AllocatesAndTheSparesStayBounded()
    {
        var cache = new SpanCache(4, long.MaxValue, releaseSparesWhenIdle: false);
        var buffers = Enumerable.Range(0, SpanCache.MaxSpareArrays + 2).Select(_ => cache.Rent(1000)).ToList();
        foreach (var buffer in buffers) buffer.Dispose();
        var spare = cache.SpareBytes;

        using var longer = cache.Rent(1024 * 1024);

        Assert.Equal(SpanCache.MaxSpareArrays * 128 * 1024, spare);
        Assert.Equal(buffers.Count + 1, cache.ArraysAllocated);
        Assert.Equal(spare, cache.SpareBytes);
    }

    [Fact]
    public void OnFullCollection_AfterOneWithoutRents_LetsTheSparesGo()
    {
        var cache = new SpanCache(4, long.MaxValue, releaseSparesWhenIdle: false);
        cache.Rent(1000).Dispose();

        cache.OnFullCollection(); // rented since the last: kept
        var kept = cache.SpareBytes;
        cache.OnFullCollection(); // none since: let go

        Assert.True(kept > 0);
        Assert.Equal(0, cache.SpareBytes);
    }

    [Fact]
    public async Task GetAsync_BurstOverTheBoundEnds_LetsTheOlderGoThen()
    {
        var cache = new SpanCache(2, long.MaxValue, releaseSparesWhenIdle: false);
        // Continuations inline: each fetch's end (the cache's eviction, then its reader) runs within SetResult, in that
        // order. Run on the pool, an older fetch's eviction could come late and let go of a newer span before its reader
        // held it; the reader then fetches again, and these fetches hand back the same buffer, already let go.
        var pending = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource<SpanBuffer>()).ToList();
        var reads = pending.Select((p, id) => cache.GetAsync(new SpanKey("l", id), 1, () => p.Task, CancellationToken.None)).ToList();
        Assert.Equal(3, cache.Count); // all being fetched: none may go

        for (var id = 0; id < 3; id++)
        {
            pending[id].SetResult(await Filled(cache, (byte)id));
            (await reads[id]).Dispose();
        }

        Assert.Equal(2, cache.Count);
        Assert.False(cache.Contains(new SpanKey("l", 0)));
    }

    [Fact]
    public async Task GetAsync_SameSpanOfAnotherLayout_IsAnotherSpan()
    {
        var cache = new SpanCache(4, long.MaxValue);

        var coarse = await Copy(cache, new SpanKey("l", 0, "coarse"), 2, () => Filled(cache, 1, 1));
        var fine = await Copy(cache, new SpanKey("l", 0, "fine"), 1, () => Filled(cache, 2));
        cache.Evict("l");

        Assert.Equal([1, 1], coarse);
        Assert.Equal([2], fine);
        Assert.Equal(0, cache.Count); // a layer's spans of every layout go with it
    }

    [Fact]
    public async Task Forget_TheSpanItHolds_LetsItGoAndNotANewerCopy()
    {
        var cache = new SpanCache(4, long.MaxValue);
        var key = new SpanKey("l", 0);
        SpanBuffer first;
        using (first = await cache.GetAsync(key, 1, () => Filled(cache, 1), CancellationToken.None)) { }
        cache.Forget(key, first);
        var fetches = 0;

        using var second = await cache.GetAsync(key, 1, () => { fetches++; return Filled(cache, 2); }, CancellationToken.None);
        cache.Forget(key, first); // a copy let go before: the one held now stays
        var again = await Copy(cache, key, 1, () => { fetches++; return Filled(cache, 3); });

        Assert.Equal(1, fetches);
        Assert.Equal([2], again);
        Assert.Equal(1, cache.Count);
    }
}
