using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>The collection after the store's last fill: only when nothing is queued or filling any more.</summary>
public sealed class FillDrainedCompactionTests : IDisposable
{
    private static readonly string A = "sha256:" + new string('a', 64), B = "sha256:" + new string('b', 64);
    private readonly string _state = Directory.CreateTempSubdirectory("fill-drained-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void CollectIfDrained_AnotherLayerQueued_DoesNotCollect()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        store.Attach(B, "/m2", 100, "img", null);
        store.MarkQueued(B);

        Assert.Null(FillDrainedCompaction.CollectIfDrained(store));
    }

    [Fact]
    public void CollectIfDrained_AnotherLayerFilling_DoesNotCollect()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(B, "/m2", 100, "img", null);
        Assert.True(store.TryReserve(B, 10));
        store.MarkFilling(B, () => 0);

        Assert.Null(FillDrainedCompaction.CollectIfDrained(store));
    }

    [Fact]
    public void CollectIfDrained_NothingLeftToFill_RunsAFullCollection()
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(A, "/m1", 100, "img", null);
        var before = GC.CollectionCount(GC.MaxGeneration);

        var collected = FillDrainedCompaction.CollectIfDrained(store);

        Assert.NotNull(collected);
        Assert.True(collected.HeapBytesAfter > 0 && collected.Duration >= TimeSpan.Zero);
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > before);
    }
}
