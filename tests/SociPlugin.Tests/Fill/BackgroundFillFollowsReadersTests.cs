using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// The fill's unpack follows the layer's readers: it takes the bytes they put in the partial blob while its own requests
/// wait behind them, and what it makes local is checked against the blob digest over the bytes it unpacked. Here the
/// readers are the test's writes to the partial blob, and the fill's requests wait at a reads-first gate that never
/// opens (root only: the applier sets ownership).
/// </summary>
public sealed class BackgroundFillFollowsReadersTests : IDisposable
{
    private static readonly byte[] Index = "ztoc"u8.ToArray();
    private readonly string _state = Directory.CreateTempSubdirectory("background-fill-readers-").FullName;
    private readonly byte[] _file = RandomBytes(1 << 20);
    private readonly byte[] _blob;
    private readonly string _digest;

    public BackgroundFillFollowsReadersTests()
    {
        _blob = LayerBuilder.Gzip(new LayerBuilder().Dir("data/").File("data/file", _file).Tar());
        _digest = OciDigest.Compute(_blob).ToString();
    }

    public void Dispose() => StoreStatusFile.DeleteState(_state);

    [RootOnlyFact]
    public async Task Fill_ReadersFetchEveryByteWhileItsRequestsWait_GoesLocalFromTheirBytes()
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = NewStore();
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);

        var trash = Path.Combine(store.Root, StoreTrash.FolderName);
        var partialInTrashWhenLocal = false;
        fill.LayerLocal = (_, _) =>
        {
            partialInTrashWhenLocal = Directory.Exists(trash) && Directory.EnumerateFiles(trash, "blob.partial-*").Any();
            return Task.CompletedTask;
        };

        fill.Enqueue(Request(server));
        await WaitForStateAsync(store, LayerState.Filling);
        var half = _blob.Length / 2;
        store.Partial(_digest)!.Write(half, _blob.AsSpan(half)); // the readers' bytes, the end first
        store.Partial(_digest)!.Write(0, _blob.AsSpan(0, half));
        await WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(_file, await File.ReadAllBytesAsync(Path.Combine(store.FillPaths(_digest).FsPath, "data/file")));
        Assert.Equal(0, server.RangeRequests);
        Assert.True(partialInTrashWhenLocal, "the partial blob was deleted before the mounts switched to the local copy");
        Assert.True(StoreStatusFile.TrashEmptied(store.Root), "the fill never emptied the trash");
        store.ClosePartials();
    }

    [RootOnlyTheory]
    [InlineData(4)] // the gzip header's MTIME: the layer unpacks as before, the digest checked at the end fails
    [InlineData(-100)] // the last deflate block: the unpack fails, and the whole blob read again fails the digest
    public async Task Fill_ReadersBytesFailTheBlobDigest_MakesNothingLocalAndDiscardsThem(int wrongByte)
    {
        await using var server = new ShortBodyRegistry(_blob, shortBodies: 0);
        var store = NewStore();
        using var registry = new RegistryClient();
        await using var fill = NewFill(registry, store);
        var wrong = (byte[])_blob.Clone();
        wrong[wrongByte >= 0 ? wrongByte : wrong.Length + wrongByte] ^= 0xFF;

        fill.Enqueue(Request(server));
        await WaitForStateAsync(store, LayerState.Filling);
        store.Partial(_digest)!.Write(0, wrong);
        await WaitForStateAsync(store, LayerState.Failed);

        Assert.False(Directory.Exists(store.FillPaths(_digest).FsPath) && Directory.EnumerateFileSystemEntries(store.FillPaths(_digest).FsPath).Any());
        Assert.Equal(0, store.Partial(_digest)!.BytesPresent); // a wrong byte somewhere: fetched again from the start
        Assert.Equal(0, server.RangeRequests);
        store.ClosePartials();
    }

    private static BackgroundFill NewFill(RegistryClient registry, LayerStore store) =>
        new(registry, store, new LayerApplier(), new BackgroundFillOptions { ChunkBytes = 64 * 1024, MaxConcurrentRequests = 1, DelayMilliseconds = 0 },
            userXattr: false, readsFirst: new ClosedGate());

    private LayerStore NewStore()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(_digest, "/m1", _blob.Length, "img", null);
        store.RecordPartial(_digest, MediaTypes.OciLayerGzip, OciDigest.Compute(Index).ToString(), Index, []);
        return store;
    }

    private FillRequest Request(ShortBodyRegistry server) =>
        new(ImageReference.Parse(server.Reference), new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = _digest, Size = _blob.Length },
            new LayerIndexFile(OciDigest.Compute(Index).ToString(), Index, 2 << 20), LayerInode.NewDirectory(0x1ED), DateTimeOffset.UtcNow);

    private async Task WaitForStateAsync(LayerStore store, LayerState state)
    {
        for (var waited = 0; store.StateOf(_digest) != state && waited < 300; waited++) await Task.Delay(50);
        Assert.Equal(state, store.StateOf(_digest));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(23).NextBytes(bytes);
        return bytes;
    }

    /// <summary>On-demand reads that never end: the fill's requests wait behind them for good.</summary>
    private sealed class ClosedGate : IDownloadGate
    {
        public Task WaitAsync(long bytes, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
