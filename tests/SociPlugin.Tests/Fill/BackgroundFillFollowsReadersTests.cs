using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// The fill's unpack follows the layer's readers: it takes the bytes they put in the partial blob while its own requests
/// wait behind them, and what it makes local is checked against the blob digest over the bytes it unpacked. Here the
/// readers are the test's writes to the partial blob, and the fill's requests wait at a reads-first gate that never
/// opens (root only: the applier sets ownership).
/// </summary>
public sealed class BackgroundFillFollowsReadersTests : IDisposable
{
    private readonly OneLayerToFill _layer = new("background-fill-readers-");

    public void Dispose() => _layer.Dispose();

    [RootOnlyFact]
    public async Task Fill_ReadersFetchEveryByteWhileItsRequestsWait_GoesLocalFromTheirBytes()
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);

        var trash = Path.Combine(store.Root, StoreTrash.FolderName);
        var partialInTrashWhenLocal = false;
        fill.LayerLocal = (_, _) =>
        {
            partialInTrashWhenLocal = Directory.Exists(trash) && Directory.EnumerateFiles(trash, "blob.partial-*").Any();
            return Task.CompletedTask;
        };

        fill.Enqueue(_layer.Request(server));
        await _layer.WaitForStateAsync(store, LayerState.Filling);
        var half = _layer.Blob.Length / 2;
        store.Partial(_layer.Digest)!.Write(half, _layer.Blob.AsSpan(half)); // the readers' bytes, the end first
        store.Partial(_layer.Digest)!.Write(0, _layer.Blob.AsSpan(0, half));
        await _layer.WaitForStateAsync(store, LayerState.Local);

        Assert.Equal(_layer.File, await _layer.ReadLocalFileAsync(store));
        Assert.Equal(0, server.RangeRequests);
        Assert.True(partialInTrashWhenLocal, "the partial blob was deleted before the mounts switched to the local copy");
        // After fills and starts have been quiet for 3 s, on an idle-class thread.
        Assert.True(StoreStatusFile.TrashEmptied(store.Root, TimeSpan.FromSeconds(30)), "the fill never emptied the trash");
    }

    [RootOnlyFact]
    public async Task Fill_AReadWhileTheMountsSwitch_TakesItsBytesFromThePartialBlobNotTheRegistry()
    {
        await using var rig = _layer.Rig(NewFill, present: _layer.Blob.Length); // the readers fetched it all: the fill only unpacks
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);
        var whole = new ByteRange(0, _layer.Blob.Length);
        byte[]? readDuringSwitch = null;
        var stateDuringSwitch = LayerState.Lazy;
        fill.LayerLocal = (digest, _) =>
        {
            stateDuringSwitch = store.StateOf(digest);
            // What a mount's reader does before its content reads the local copy: the partial blob, if the store gives one.
            if (store.Partial(digest) is { } blob && blob.Contains(whole))
            {
                readDuringSwitch = new byte[whole.Length];
                blob.Read(0, readDuringSwitch);
            }
            return Task.CompletedTask;
        };

        fill.Enqueue(_layer.Request(server));
        await _layer.WaitForStateAsync(store, LayerState.Local);
        // Closed when its files are deleted: after fills and starts have been quiet for 3 s.
        for (var waited = 0; store.Partial(_layer.Digest) is not null && waited < 300; waited++) await Task.Delay(100);

        Assert.Equal(LayerState.Local, stateDuringSwitch);
        Assert.Equal(_layer.Blob, readDuringSwitch);
        Assert.Null(store.Partial(_layer.Digest));
        Assert.Equal(0, server.RangeRequests);
    }

    [RootOnlyTheory]
    [InlineData(4)] // the gzip header's MTIME: the layer unpacks as before, the digest checked at the end fails
    [InlineData(-100)] // the last deflate block: the unpack fails, and the whole blob read again fails the digest
    public async Task Fill_ReadersBytesFailTheBlobDigest_MakesNothingLocalAndDiscardsThem(int wrongByte)
    {
        await using var rig = _layer.Rig(NewFill);
        var (server, store, fill) = (rig.Server, rig.Store, rig.Fill);
        var wrong = (byte[])_layer.Blob.Clone();
        wrong[wrongByte >= 0 ? wrongByte : wrong.Length + wrongByte] ^= 0xFF;

        fill.Enqueue(_layer.Request(server));
        await _layer.WaitForStateAsync(store, LayerState.Filling);
        store.Partial(_layer.Digest)!.Write(0, wrong);
        await _layer.WaitForStateAsync(store, LayerState.Failed);

        Assert.False(Directory.Exists(store.FillPaths(_layer.Digest).FsPath) && Directory.EnumerateFileSystemEntries(store.FillPaths(_layer.Digest).FsPath).Any());
        Assert.Equal(0, store.Partial(_layer.Digest)!.BytesPresent); // a wrong byte somewhere: fetched again from the start
        Assert.Equal(0, server.RangeRequests);
    }

    private static BackgroundFill NewFill(RegistryClient registry, LayerStore store) =>
        new(registry, store, new LayerApplier(), new BackgroundFillOptions { ChunkBytes = 64 * 1024, MaxConcurrentRequests = 1, DelayMilliseconds = 0 },
            userXattr: false, readsFirst: new ClosedGate());
}
