using System.Text.Json;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport.Logging;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>The local layer store's bookkeeping on a plain folder: sharing, freeing, retention, eviction, restart, status.</summary>
public sealed class LayerStoreTests : IDisposable
{
    private static readonly string A = Digest('a'), B = Digest('b'), C = Digest('c');
    private readonly string _state = Directory.CreateTempSubdirectory("layer-store-").FullName;

    public void Dispose() => StoreStatusFile.DeleteState(_state);

    [Fact]
    public void Attach_LayerNeverFilled_IsNotLocal()
    {
        var store = new LayerStore(_state, new StoreOptions());

        Assert.Null(store.Attach(A, "/m1", 100, "img", null));
        Assert.Equal(LayerState.Lazy, store.StateOf(A));
    }

    [Fact]
    public void Attach_AfterFill_ReturnsTheUnpackedTreeToEverySnapshotOfTheLayer()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", "sha256:index");
        Fill(store, A, 10);

        var path = store.Attach(A, "/m2", 100, "other", null);

        Assert.Equal(Path.Combine(store.Root, "sha256-" + new string('a', 64), "fs"), path);
        Assert.Equal("sha256:index", store.Local(A)!.IndexDigest);
    }

    [Fact]
    public void Detach_LastSnapshot_TellsTheCallerToFreeUnlessRetained()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        store.Attach(A, "/m2", 100, "img", null);
        Fill(store, A, 10);

        Assert.False(store.Detach(A, "/m1"));
        Assert.True(store.Detach(A, "/m2"));

        var retaining = new LayerStore(Path.Combine(_state, "r"), new StoreOptions { RetainUnusedLayers = true });
        retaining.Attach(B, "/m1", 100, "img", null);
        Fill(retaining, B, 10);
        Assert.False(retaining.Detach(B, "/m1"));
    }

    [Fact]
    public void Delete_FreesTheLayersFolderAndStatus()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        Fill(store, A, 10);

        store.Delete(A);

        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root));
        Assert.Empty(Status(store).GetProperty("layers").EnumerateArray());
    }

    [Fact]
    public void TryReserve_OverTheLimit_EvictsTheOldestUnusedLayerFirstAndNeverOneInUse()
    {
        var store = new LayerStore(_state, new StoreOptions { MaxBytes = 250, RetainUnusedLayers = true });
        store.Attach(A, "/a", 100, "img", null);
        Fill(store, A, 100);
        store.Attach(B, "/b", 100, "img", null);
        Fill(store, B, 100);
        store.Detach(A, "/a"); // unused since before B
        Thread.Sleep(20);
        store.Detach(B, "/b");
        store.Attach(C, "/c", 100, "img", null);

        Assert.True(store.TryReserve(C, 100));

        Assert.Null(store.Local(A));
        Assert.NotNull(store.Local(B));
        Assert.False(Directory.Exists(Path.Combine(store.Root, "sha256-" + new string('a', 64))));
        Assert.False(Directory.Exists(Path.Combine(store.Root, StoreTrash.FolderName))); // the eviction's trash emptied too

        store.Attach(B, "/b", 100, "img", null); // in use again: never evicted
        Assert.False(store.TryReserve(C, 200));
        Assert.NotNull(store.Local(B));
    }

    [Fact]
    public void Reopen_KeepsCompleteLayersAndRemovesWhatAFillLeftHalfDone()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", "sha256:index");
        Fill(store, A, 10);
        var a = store.Local(A)!;
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(a.FsPath)!, "blob.partial"), "half");
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(a.FsPath)!, ".fs.apply-123"));
        store.Attach(B, "/m2", 100, "img", null);
        Assert.True(store.TryReserve(B, 50)); // a fill of B started and the daemon died
        File.WriteAllText(store.FillPaths(B).BlobPath, "partial");

        var reopened = new LayerStore(_state, new StoreOptions());

        var local = reopened.Local(A);
        Assert.NotNull(local);
        Assert.Equal(["fs", "layer.json", "ztoc"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(local.FsPath)!).Select(Path.GetFileName).Order());
        Assert.Null(reopened.Local(B));
        Assert.False(Directory.Exists(Path.GetDirectoryName(store.FillPaths(B).BlobPath)));
        Assert.Equal([A], reopened.UnusedLayersOf("img"));
    }

    [Fact]
    public void Attach_DigestThatIsNotOne_IsRefused()
    {
        var store = new LayerStore(_state, new StoreOptions());

        Assert.Throws<FormatException>(() => store.Attach("sha256:../../etc", "/m1", 1, null, null));
    }

    [Fact]
    public void WriteStatus_ReportsStateAndBytesPerLayer()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        store.Attach(B, "/m2", 200, "img", null);
        Fill(store, A, 10);
        store.MarkFilling(B, () => 50);

        store.WriteStatus();

        var layers = Status(store).GetProperty("layers").EnumerateArray()
            .ToDictionary(l => l.GetProperty("digest").GetString()!, l => (l.GetProperty("state").GetString(), l.GetProperty("bytes_local").GetInt64(), l.GetProperty("bytes_total").GetInt64()));
        Assert.Equal(("local", 100L, 100L), layers[A]);
        Assert.Equal(("filling", 50L, 200L), layers[B]);
    }

    [Fact]
    public void Resumable_RecordedPartialLayerAfterReopening_KeepsItsBytesZtocAndLowers()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", "sha256:index");
        var ztoc = "ztoc"u8.ToArray();
        store.RecordPartial(A, "application/vnd.oci.image.layer.v1.tar+gzip", Registry.OciDigest.Compute(ztoc).ToString(), ztoc, [B, C]);
        store.Partial(A)!.Write(10, new byte[20]);
        store.ClosePartials();

        var reopened = new LayerStore(_state, new StoreOptions());
        var partial = reopened.Resumable(A);

        Assert.NotNull(partial);
        Assert.Equal([B, C], partial.Lowers);
        Assert.Equal("sha256:index", partial.IndexDigest);
        Assert.Equal(ztoc, File.ReadAllBytes(partial.ZtocPath));
        reopened.Attach(A, "/m1", 100, "img", null);
        Assert.Equal(20, reopened.Partial(A)!.BytesPresent);
        reopened.ClosePartials();
    }

    [Fact]
    public void Partial_ReadsNeedRoomOverMaxBytes_EvictUnusedLayersPartialBlobs()
    {
        var store = new LayerStore(_state, new StoreOptions { MaxBytes = 100 });
        store.Attach(A, "/m1", 100, "img", null);
        store.RecordPartial(A, "application/vnd.oci.image.layer.v1.tar+gzip", Registry.OciDigest.Compute("z"u8).ToString(), "z"u8.ToArray(), []);
        store.Partial(A)!.Write(0, new byte[80]); // read on demand only: no fill reserved room for it
        store.Detach(A, "/m1"); // unused, kept (as an earlier run leaves it)
        Assert.Equal(80, store.DiskBytes);
        store.Attach(B, "/m2", 100, "img", null);

        store.Partial(B)!.Write(0, new byte[40]);

        Assert.Null(store.Resumable(A));
        Assert.False(Directory.Exists(Path.Combine(store.Root, "sha256-" + new string('a', 64))));
        Assert.Equal(40, store.DiskBytes);
        Assert.True(StoreStatusFile.TrashEmptied(store.Root), "the evicted layer's files were never deleted");
    }

    [Fact]
    public void Partial_OverMaxBytesWithNothingToEvict_KeepsNoMoreBytes()
    {
        var store = new LayerStore(_state, new StoreOptions { MaxBytes = 50 });
        store.Attach(A, "/m1", 100, "img", null);
        var blob = store.Partial(A)!;
        blob.Write(0, new byte[40]);

        Assert.Throws<IOException>(() => blob.Write(40, new byte[20])); // readers catch it: the bytes are not kept

        Assert.Equal(40, store.DiskBytes);
        store.ClosePartials();
    }

    [Fact]
    public void MarkLocal_PartialLayer_MovesThePartialBlobToTheTrashAndEmptyTrashDeletesIt()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        var blob = store.Partial(A)!;
        blob.Write(0, new byte[100]);

        Fill(store, A, 10);

        Assert.False(File.Exists(blob.Path));
        Assert.Same(blob, store.Partial(A)); // open for the mounts' readers until its files go
        Assert.Null(store.Resumable(A));
        var trash = Path.Combine(store.Root, StoreTrash.FolderName);
        Assert.Single(Directory.EnumerateFiles(trash, "blob.partial-*")); // left for the fill to delete once the mounts switched
        store.EmptyTrash();
        Assert.False(Directory.Exists(trash));
        Assert.Null(store.Partial(A));
    }

    [Fact]
    public void MarkLocal_CompletePartialBlob_ReadersGetItUntilTheTrashIsEmptied()
    {
        var store = new LayerStore(_state, new StoreOptions());

        var blob = FilledFromCompletePartialBlob(store);

        // Until the mounts serve the local copy, a read of the layer takes its bytes from here, not from the registry.
        Assert.Same(blob, store.Partial(A));
        var bytes = new byte[100];
        store.Partial(A)!.Read(0, bytes);
        Assert.All(bytes, b => Assert.Equal(3, b));
        store.EmptyTrash();
        Assert.Null(store.Partial(A));
        Assert.Throws<ObjectDisposedException>(() => blob.Read(0, bytes));
        Assert.Equal(["fs", "layer.json", "ztoc"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(blob.Path)!).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ClosePartials_LayerLocalWithItsPartialBlobStillOpen_ClosesIt()
    {
        var store = new LayerStore(_state, new StoreOptions());
        var blob = FilledFromCompletePartialBlob(store);

        store.ClosePartials(); // the daemon stops

        Assert.Null(store.Partial(A));
        Assert.Throws<ObjectDisposedException>(() => blob.Read(0, new byte[1]));
    }

    [Fact]
    public void Delete_LayerLocalWithItsPartialBlobStillRetiring_ClosesIt()
    {
        var store = new LayerStore(_state, new StoreOptions());
        var blob = FilledFromCompletePartialBlob(store);

        store.Delete(A); // the layer's last snapshot went before its mounts switched

        Assert.Null(store.Partial(A));
        Assert.Throws<ObjectDisposedException>(() => blob.Read(0, new byte[1]));
        Assert.False(Directory.Exists(Path.Combine(store.Root, StoreTrash.FolderName)));
    }

    [Fact]
    public void MarkLocal_PartialFiles_OtherStoreWorkLeavesThemAndFreeingTheLayerDeletesThem()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        store.Attach(B, "/m2", 100, "img", null);
        store.Partial(A)!.Write(0, new byte[100]);
        var trash = Path.Combine(store.Root, StoreTrash.FolderName);

        Fill(store, A, 10);
        store.MarkQueued(B); // a container start's next layer: the store empties its trash after such changes
        Assert.True(store.TryReserve(B, 10));

        Assert.Single(Directory.EnumerateFiles(trash, "blob.partial-*")); // held apart for the fill's quiet moment
        store.Delete(A);
        Assert.False(Directory.Exists(trash));
    }

    [Fact]
    public void MarkFillingOrMarkFailed_LayerLocalAlready_LeavesItLocalWithItsCopy()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        Fill(store, A, 10);

        store.MarkFilling(A, () => 0); // a second fill of the layer, late
        store.MarkFailed(A, "a second fill failed");

        Assert.Equal(LayerState.Local, store.StateOf(A));
        Assert.True(File.Exists(Path.Combine(store.FillPaths(A).FsPath, "file")));
        Assert.NotNull(store.Local(A));
    }

    [Fact]
    public void Reopen_AfterACrashBetweenDiscardAndDelete_ClearsTheTrashAsTrashAndKeepsTheLayers()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        Fill(store, A, 10);
        var leftover = Path.Combine(store.Root, StoreTrash.FolderName, "blob.partial-0123");
        Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
        File.WriteAllText(leftover, "what the crashed run had not deleted yet");
        var logger = new EventIdLogger<LayerStore>();

        var reopened = new LayerStore(_state, new StoreOptions(), logger);

        Assert.NotNull(reopened.Local(A));
        Assert.Equal(["sha256-" + new string('a', 64)], Directory.EnumerateFileSystemEntries(reopened.Root).Select(Path.GetFileName));
        Assert.DoesNotContain(3022, logger.EventIds); // not taken for a layer's folder a fill left half done
    }

    [Fact]
    public void MarkLocal_PartialBlobWithAMapSavePending_LeavesNoMapBehind()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        var blob = store.Partial(A)!;
        blob.Write(0, new byte[40]); // arms the map's save timer

        Fill(store, A, 10);
        store.EmptyTrash();
        Thread.Sleep(PartialBlob.MapSaveInterval * 2);

        var folder = Path.GetDirectoryName(blob.Path)!;
        Assert.Equal(["fs", "layer.json", "ztoc"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists(Path.Combine(store.Root, StoreTrash.FolderName)));
    }

    /// <summary>Layer A mounted, its 100-byte partial blob complete (every byte 3), then filled: that blob.</summary>
    private static PartialBlob FilledFromCompletePartialBlob(LayerStore store)
    {
        store.Attach(A, "/m1", 100, "img", null);
        var blob = store.Partial(A)!;
        blob.Write(0, Enumerable.Repeat((byte)3, 100).ToArray());
        Fill(store, A, 10);
        return blob;
    }

    private static void Fill(LayerStore store, string digest, long bytes)
    {
        Assert.True(store.TryReserve(digest, bytes));
        var (_, fs) = store.FillPaths(digest);
        Directory.CreateDirectory(fs);
        File.WriteAllText(Path.Combine(fs, "file"), "content");
        var ztoc = "ztoc"u8.ToArray();
        store.MarkLocal(digest, "application/vnd.oci.image.layer.v1.tar+gzip", bytes - ztoc.Length, Registry.OciDigest.Compute(ztoc).ToString(), ztoc);
    }

    private static JsonElement Status(LayerStore store) => JsonDocument.Parse(File.ReadAllText(store.StatusPath)).RootElement;

    private static string Digest(char c) => "sha256:" + new string(c, 64);
}
