using System.Diagnostics;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>
/// What a failed fill leaves of the bytes fetched before it (readers' bytes in the partial blob), against a loopback
/// registry of one blob that can answer with short bodies.
/// </summary>
public sealed class BackgroundFillTests : IDisposable
{
    private static readonly byte[] Index = "ztoc"u8.ToArray();
    private readonly string _state = Directory.CreateTempSubdirectory("background-fill-").FullName;
    private readonly byte[] _blob = Blob();

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task Fill_ShortBodyOnEveryAttempt_KeepsThePartialBlob()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: int.MaxValue);
        var (store, digest) = StoreWithReadersBytes(_blob.AsSpan(0, 16 * 1024));

        await FillUntilFailedAsync(store, server, digest);

        Assert.Equal(16 * 1024, store.Partial(digest)!.BytesPresent); // the next fill fetches only the gaps
        store.ClosePartials();
    }

    [Fact]
    public async Task Fill_StoredBytesFailTheBlobDigest_DiscardsThePartialBlob()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var (store, digest) = StoreWithReadersBytes(new byte[16 * 1024]); // recorded present, not the blob's bytes

        await FillUntilFailedAsync(store, server, digest);

        Assert.Equal(0, store.Partial(digest)!.BytesPresent);
        store.ClosePartials();
    }

    [Fact]
    public async Task Fill_WhileLayersKeepMounting_StartsOnlyOnceTheyStop()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var (store, digest) = StoreWithReadersBytes(_blob.AsSpan(0, 16 * 1024));
        using var registry = new RegistryClient();
        var delay = TimeSpan.FromMilliseconds(1500);
        await using var fill = new BackgroundFill(registry, store, new LayerApplier(),
            new BackgroundFillOptions { DelayMilliseconds = (int)delay.TotalMilliseconds, ChunkBytes = 64 * 1024, ChunkAttempts = 2 }, userXattr: false);

        fill.MountStarted();
        var lastMount = Stopwatch.StartNew();
        fill.Enqueue(Request(server, digest, DateTimeOffset.UtcNow + delay));
        // A pull's next layers mount every 50 ms for twice the delay: the fill waits them out. (A stall of this loop as
        // long as the delay would let it start: the state is only checked while the mounts came closer than that.)
        for (var i = 0; i < 60; i++)
        {
            await Task.Delay(50);
            var queued = store.StateOf(digest) == LayerState.Queued;
            if (lastMount.Elapsed < delay * 0.8) Assert.True(queued, $"the fill started {lastMount.Elapsed.TotalMilliseconds:F0} ms after a mount began");
            fill.MountStarted();
            lastMount.Restart();
        }

        for (var waited = 0; store.StateOf(digest) == LayerState.Queued && waited < 200; waited++) await Task.Delay(50);
        Assert.NotEqual(LayerState.Queued, store.StateOf(digest)); // started once they stopped: the blob is no layer, so it fails
        for (var waited = 0; store.StateOf(digest) != LayerState.Failed && waited < 300; waited++) await Task.Delay(100);
        Assert.Equal(LayerState.Failed, store.StateOf(digest));
        store.ClosePartials();
    }

    private (LayerStore Store, string Digest) StoreWithReadersBytes(ReadOnlySpan<byte> head)
    {
        var digest = OciDigest.Compute(_blob).ToString();
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(digest, "/m1", _blob.Length, "img", null);
        store.RecordPartial(digest, MediaTypes.OciLayerGzip, OciDigest.Compute(Index).ToString(), Index, []);
        store.Partial(digest)!.Write(0, head);
        return (store, digest);
    }

    private async Task FillUntilFailedAsync(LayerStore store, ShortBodyRegistry server, string digest)
    {
        using var registry = new RegistryClient();
        await using var fill = new BackgroundFill(registry, store, new LayerApplier(),
            new BackgroundFillOptions { ChunkBytes = 64 * 1024, ChunkAttempts = 2 }, userXattr: false);
        fill.Enqueue(Request(server, digest, DateTimeOffset.UtcNow));
        for (var waited = 0; store.StateOf(digest) != LayerState.Failed && waited < 300; waited++) await Task.Delay(100);
        Assert.Equal(LayerState.Failed, store.StateOf(digest));
    }

    private FillRequest Request(ShortBodyRegistry server, string digest, DateTimeOffset notBefore) =>
        new(ImageReference.Parse(server.Reference), new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest, Size = _blob.Length },
            new LayerIndexFile(OciDigest.Compute(Index).ToString(), Index, 1 << 20), LayerInode.NewDirectory(0x1ED), notBefore);

    private static byte[] Blob()
    {
        var blob = new byte[256 * 1024];
        new Random(17).NextBytes(blob);
        return blob;
    }
}
