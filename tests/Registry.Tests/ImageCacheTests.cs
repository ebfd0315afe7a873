using PluggableSnapshotter.Registry.Images;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>The one per-image cache (the catalog's and soci's index discovery): sharing, failures, expiry, forgetting.</summary>
public sealed class ImageCacheTests
{
    private static readonly TimeSpan Expiry = TimeSpan.FromMinutes(10);
    private const string Key = "127.0.0.1:5000/app@sha256:aa";
    private readonly ManualClock _clock = new();
    private int _created;

    [Fact]
    public async Task GetAsync_ManyAskAtOnce_CreatesOnceAndSharesTheValue()
    {
        var cache = NewCache();
        var release = new TaskCompletionSource();

        var asks = Enumerable.Range(0, 8).Select(_ => cache.GetAsync(Key, async () => { await release.Task; return Create("index"); }, CancellationToken.None)).ToList();
        release.SetResult();
        var values = await Task.WhenAll(asks);

        Assert.Equal(1, _created);
        Assert.All(values, v => Assert.Same(values[0], v));
    }

    [Fact]
    public async Task GetAsync_CreationFailed_IsNotKeptAndTheNextAskCreatesAgain()
    {
        var cache = NewCache();

        await Assert.ThrowsAsync<InvalidDataException>(() => cache.GetAsync(Key, () => throw new InvalidDataException("bad"), CancellationToken.None));
        var value = await cache.GetAsync(Key, () => Task.FromResult(Create("index")), CancellationToken.None);

        Assert.Equal("index", value.Name);
    }

    [Fact]
    public async Task GetAsync_AfterTheExpiry_CreatesAgain()
    {
        var cache = NewCache();
        var first = await cache.GetAsync(Key, () => Task.FromResult(Create("first")), CancellationToken.None);

        _clock.Advance(Expiry - TimeSpan.FromSeconds(1));
        var kept = await cache.GetAsync(Key, () => Task.FromResult(Create("second")), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var renewed = await cache.GetAsync(Key, () => Task.FromResult(Create("third")), CancellationToken.None);

        Assert.Same(first, kept);
        Assert.Equal("third", renewed.Name);
    }

    [Fact]
    public async Task GetAsync_CallerCancelled_OthersStillGetTheSharedValue()
    {
        var cache = NewCache();
        var release = new TaskCompletionSource();
        using var cancelled = new CancellationTokenSource();
        var impatient = cache.GetAsync(Key, async () => { await release.Task; return Create("index"); }, cancelled.Token);

        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        var patient = cache.GetAsync(Key, () => Task.FromResult(Create("other")), CancellationToken.None);
        release.SetResult();

        Assert.Equal("index", (await patient).Name);
        Assert.Equal(1, _created);
    }

    [Theory]
    [InlineData("sha256:aa")] // the key's digest
    [InlineData("sha256:bb")] // a digest the value goes by
    [InlineData(Key)]
    public async Task Forget_ByKeyOrDigest_NextAskCreatesAgain(string image)
    {
        var cache = NewCache();
        await cache.GetAsync(Key, () => Task.FromResult(Create("first", "sha256:bb")), CancellationToken.None);

        cache.Forget(image);
        var value = await cache.GetAsync(Key, () => Task.FromResult(Create("second")), CancellationToken.None);

        Assert.Equal("second", value.Name);
    }

    [Fact]
    public async Task Forget_AnotherImage_KeepsTheValue()
    {
        var cache = NewCache();
        var first = await cache.GetAsync(Key, () => Task.FromResult(Create("first", "sha256:bb")), CancellationToken.None);

        cache.Forget("sha256:cc");

        Assert.Same(first, await cache.GetAsync(Key, () => Task.FromResult(Create("second")), CancellationToken.None));
    }

    private ImageCache<Found> NewCache() => new(Expiry, found => found.Digests, _clock);

    private Found Create(string name, params string[] digests)
    {
        Interlocked.Increment(ref _created);
        return new Found(name, digests);
    }

    private sealed record Found(string Name, IReadOnlyList<string> Digests);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
