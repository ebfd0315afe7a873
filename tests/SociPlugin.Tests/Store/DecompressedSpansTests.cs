using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>A layer's decompressed spans on disk: kept across a reopen, never served once changed on disk, counted and freed by the store.</summary>
public sealed class DecompressedSpansTests : IDisposable
{
    private const string Layout = "sha256:layout";
    private static readonly string A = "sha256:" + new string('a', 64), B = "sha256:" + new string('b', 64);
    private readonly string _state = Directory.CreateTempSubdirectory("decompressed-spans-").FullName;

    public void Dispose() => StoreStatusFile.DeleteState(_state);

    [Fact]
    public void TryRead_SpanWritten_ReturnsItsBytes()
    {
        var spans = DecompressedSpans.Open(Path.Combine(_state, "tar.partial"), 300, 3, Layout, _ => true);
        var bytes = Bytes(100, seed: 1);

        Assert.False(spans.TryRead(1, 100, 200, 120, new byte[10]));
        Assert.True(spans.TryWrite(1, 100, bytes));
        var read = new byte[10];

        Assert.True(spans.TryRead(1, 100, 200, 120, read));
        Assert.Equal(bytes[20..30], read);
        Assert.Equal(100, spans.BytesPresent);
        spans.Close(delete: true);
    }

    [Fact]
    public void Open_AfterClose_KeepsTheSpansAndChecksThemOnFirstRead()
    {
        var path = Path.Combine(_state, "tar.partial");
        var first = DecompressedSpans.Open(path, 300, 3, Layout, _ => true);
        var bytes = Bytes(100, seed: 2);
        first.TryWrite(2, 200, bytes);
        first.Close(delete: false);

        Assert.Equal(100, DecompressedSpans.RecordedBytes(path));
        var again = DecompressedSpans.Open(path, 300, 3, Layout, _ => true);
        var read = new byte[100];

        Assert.True(again.TryRead(2, 200, 300, 200, read));
        Assert.Equal(bytes, read);
        again.Close(delete: false);
    }

    [Fact]
    public void TryRead_BytesChangedOnDiskWhileClosed_IsNotServedAndTheSpanIsDropped()
    {
        var path = Path.Combine(_state, "tar.partial");
        var first = DecompressedSpans.Open(path, 300, 3, Layout, _ => true);
        first.TryWrite(0, 0, Bytes(100, seed: 3));
        first.Close(delete: false);
        using (var file = File.OpenWrite(path))
        {
            file.Position = 50;
            file.WriteByte(0xff);
        }

        var again = DecompressedSpans.Open(path, 300, 3, Layout, _ => true);

        Assert.False(again.TryRead(0, 0, 100, 0, new byte[10]));
        Assert.False(again.Holds(0, 0, 100));
        Assert.Equal(0, again.BytesPresent);
        again.Close(delete: false);
        Assert.Equal(0, DecompressedSpans.RecordedBytes(path));
    }

    [Fact]
    public void Open_AnotherSpanLayout_StartsEmpty()
    {
        var path = Path.Combine(_state, "tar.partial");
        var first = DecompressedSpans.Open(path, 300, 3, Layout, _ => true);
        first.TryWrite(0, 0, Bytes(100, seed: 4));
        first.Close(delete: false);

        var other = DecompressedSpans.Open(path, 300, 2, "sha256:other", _ => true);

        Assert.False(other.TryRead(0, 0, 100, 0, new byte[10]));
        Assert.Equal(0, other.BytesPresent);
        other.Close(delete: true);
    }

    [Fact]
    public void TryWrite_NoRoom_KeepsNothing()
    {
        var spans = DecompressedSpans.Open(Path.Combine(_state, "tar.partial"), 300, 3, Layout, _ => false);

        Assert.False(spans.TryWrite(0, 0, Bytes(100, seed: 5)));
        Assert.False(spans.TryRead(0, 0, 100, 0, new byte[10]));
        spans.Close(delete: true);
    }

    [Fact]
    public void Store_DecompressedSpans_AreCountedAndDeletedWhenTheLayerGoesLocal()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        var spans = store.Decompressed(A, 300, 3, Layout)!;
        spans.TryWrite(0, 0, Bytes(100, seed: 6));

        Assert.Equal(100, store.DiskBytes);
        Assert.True(File.Exists(spans.Path));
        Assert.True(store.TryReserve(A, 10));
        var (_, fs) = store.FillPaths(A);
        Directory.CreateDirectory(fs);
        var ztoc = "ztoc"u8.ToArray();
        store.MarkLocal(A, "application/vnd.oci.image.layer.v1.tar+gzip", 6, Registry.OciDigest.Compute(ztoc).ToString(), ztoc);
        store.EmptyTrash(); // the fill's step once the mounts use the local copy

        Assert.True(spans.IsClosed);
        Assert.False(File.Exists(spans.Path));
        Assert.False(File.Exists(spans.MapPath));
        Assert.Null(store.Decompressed(A, 300, 3, Layout));
        Assert.Equal(10, store.DiskBytes);
    }

    [Fact]
    public void Store_DecompressedSpansOverMaxBytes_EvictTheOldestUnusedLayer()
    {
        var store = new LayerStore(_state, new StoreOptions { MaxBytes = 150 });
        store.Attach(A, "/m1", 100, "img", null);
        store.Decompressed(A, 300, 3, Layout)!.TryWrite(0, 0, Bytes(100, seed: 7));
        store.Detach(A, "/m1");
        store.Attach(B, "/m2", 100, "img", null);
        var spans = store.Decompressed(B, 300, 3, Layout)!;

        Assert.True(spans.TryWrite(0, 0, Bytes(100, seed: 8)));

        Assert.Equal(100, store.DiskBytes);
        Assert.False(Directory.Exists(Path.Combine(store.Root, "sha256-" + new string('a', 64))));
        Assert.False(spans.TryWrite(1, 100, Bytes(100, seed: 9))); // B is in use: nothing left to evict
    }

    [Fact]
    public void Store_Reopened_CountsTheDecompressedSpansOfARecordedLayer()
    {
        RecordedLayerWithSpans();

        var reopened = new LayerStore(_state, new StoreOptions());

        Assert.NotNull(reopened.Resumable(A));
        Assert.Equal(110, reopened.DiskBytes); // the spans and the partial blob's 10 bytes
        reopened.Attach(A, "/m1", 100, "img", null);
        Assert.True(reopened.Decompressed(A, 300, 3, Layout)!.TryRead(0, 0, 100, 0, new byte[100]));
        reopened.ClosePartials();
    }

    [Fact]
    public void Store_Reopened_RemovesDecompressedSpansOfAnOlderMapFormat()
    {
        var spans = RecordedLayerWithSpans();
        var map = File.ReadAllBytes(spans.MapPath);
        "PSSPANS1"u8.CopyTo(map); // as stop 7 wrote it, with SHA-256 sums
        File.WriteAllBytes(spans.MapPath, map);

        var reopened = new LayerStore(_state, new StoreOptions());

        Assert.Equal(10, reopened.DiskBytes); // the partial blob's bytes only, counted before any other use of the store
        Assert.NotNull(reopened.Resumable(A)); // the layer stays, with its partial blob
        Assert.False(File.Exists(spans.Path));
        Assert.False(File.Exists(spans.MapPath));
    }

    /// <summary>A store, then closed, that recorded layer A with 10 bytes of its partial blob and its first 100-byte span decompressed; returns the spans' file.</summary>
    private DecompressedSpans RecordedLayerWithSpans()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        store.RecordPartial(A, "application/vnd.oci.image.layer.v1.tar+gzip", Registry.OciDigest.Compute("z"u8.ToArray()).ToString(), "z"u8.ToArray(), []);
        store.Partial(A)!.Write(0, new byte[10]);
        var spans = store.Decompressed(A, 300, 3, Layout)!;
        spans.TryWrite(0, 0, Bytes(100, seed: 10));
        store.ClosePartials();
        return spans;
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
