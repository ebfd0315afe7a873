using PluggableSnapshotter.LazyLayers.Content;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class SpanCacheTests
{
    [Fact]
    public async Task GetAsync_SameSpanTwice_FetchesOnce()
    {
        var cache = new SpanCache(4, long.MaxValue);
        var fetches = 0;

        for (var i = 0; i < 2; i++)
            await cache.GetAsync(new SpanKey("sha256:a", 0), 1, () => { fetches++; return Task.FromResult(new byte[] { 1 }); }, CancellationToken.None);

        Assert.Equal(1, fetches);
    }

    [Fact]
    public async Task GetAsync_OverCapacity_EvictsLeastRecentlyUsed()
    {
        var cache = new SpanCache(2, long.MaxValue);
        var fetched = new List<int>();
        Task<byte[]> Fetch(int id) { fetched.Add(id); return Task.FromResult(new byte[] { (byte)id }); }

        await cache.GetAsync(new SpanKey("l", 0), 1, () => Fetch(0), CancellationToken.None);
        await cache.GetAsync(new SpanKey("l", 1), 1, () => Fetch(1), CancellationToken.None);
        await cache.GetAsync(new SpanKey("l", 0), 1, () => Fetch(0), CancellationToken.None); // 0 is now the most recent
        await cache.GetAsync(new SpanKey("l", 2), 1, () => Fetch(2), CancellationToken.None); // evicts 1
        await cache.GetAsync(new SpanKey("l", 0), 1, () => Fetch(0), CancellationToken.None);
        await cache.GetAsync(new SpanKey("l", 1), 1, () => Fetch(1), CancellationToken.None);

        Assert.Equal([0, 1, 2, 1], fetched);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task GetAsync_FailedFetch_IsNotKept()
    {
        var cache = new SpanCache(4, long.MaxValue);

        await Assert.ThrowsAsync<InvalidDataException>(() =>
            cache.GetAsync(new SpanKey("l", 0), 1, () => Task.FromException<byte[]>(new InvalidDataException("bad digest")), CancellationToken.None));
        var span = await cache.GetAsync(new SpanKey("l", 0), 1, () => Task.FromResult(new byte[] { 7 }), CancellationToken.None);

        Assert.Equal([7], span);
    }

    [Fact]
    public async Task Evict_Layer_DropsOnlyThatLayersSpans()
    {
        var cache = new SpanCache(4, long.MaxValue);
        await cache.GetAsync(new SpanKey("a", 0), 1, () => Task.FromResult(new byte[1]), CancellationToken.None);
        await cache.GetAsync(new SpanKey("b", 0), 1, () => Task.FromResult(new byte[1]), CancellationToken.None);

        cache.Evict("a");

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetAsync_OverByteBound_EvictsLeastRecentlyUsedUntilUnder()
    {
        var cache = new SpanCache(100, maxBytes: 10);

        await cache.GetAsync(new SpanKey("l", 0), 4, () => Task.FromResult(new byte[4]), CancellationToken.None);
        await cache.GetAsync(new SpanKey("l", 1), 4, () => Task.FromResult(new byte[4]), CancellationToken.None);
        await cache.GetAsync(new SpanKey("l", 2), 4, () => Task.FromResult(new byte[4]), CancellationToken.None); // 12 > 10: evicts 0

        Assert.Equal(2, cache.Count);
        Assert.Equal(8, cache.Bytes);
        Assert.False(cache.Contains(new SpanKey("l", 0)));
    }

    [Fact]
    public async Task GetAsync_OneSpanLargerThanTheBound_IsStillReturnedAndKeptAlone()
    {
        var cache = new SpanCache(100, maxBytes: 10);
        await cache.GetAsync(new SpanKey("l", 0), 4, () => Task.FromResult(new byte[4]), CancellationToken.None);

        var span = await cache.GetAsync(new SpanKey("l", 1), 16, () => Task.FromResult(new byte[16]), CancellationToken.None);

        Assert.Equal(16, span.Length);
        Assert.Equal(1, cache.Count);
    }
}
