using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport.Time;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// When a filled layer's partial files are deleted: not as its fill ends (the reads of an image end with its fills, and
/// the next container starts then) but once fills and container starts have been quiet for a while; at once when the
/// daemon stops. On a clock that moves only when the test says.
/// </summary>
public sealed class BackgroundFillTrashTests : IDisposable
{
    private readonly OneLayerToFill _layer = new("background-fill-trash-");
    private readonly ManualClock _clock = new();

    public void Dispose() => _layer.Dispose();

    [RootOnlyFact]
    public async Task Fill_LayerGoesLocal_KeepsItsPartialFilesUntilFillsAndStartsAreQuiet()
    {
        await using var rig = _layer.Rig(NewFill, present: _layer.Blob.Length);
        var trash = Path.Combine(rig.Store.Root, StoreTrash.FolderName);

        rig.Fill.Enqueue(_layer.Request(rig.Server));
        await _layer.WaitForStateAsync(rig.Store, LayerState.Local);
        await WaitForTimerAsync();
        _clock.Advance(BackgroundFill.TrashQuiet - TimeSpan.FromMilliseconds(1));
        await Task.Delay(300);

        Assert.True(PartialInTrash(trash), "the partial blob was deleted before fills and starts were quiet");
        rig.Fill.ContainerStarting("bench/1/reread"); // a start meanwhile: the quiet counts from it
        _clock.Advance(TimeSpan.FromMilliseconds(2));
        await Task.Delay(300);
        Assert.True(PartialInTrash(trash), "a container start did not put the deletion off");

        await WaitForTimerAsync();
        _clock.Advance(BackgroundFill.TrashQuiet);
        Assert.True(StoreStatusFile.TrashEmptied(rig.Store.Root), "the trash was not emptied once quiet");
    }

    [RootOnlyFact]
    public async Task DisposeAsync_DeletionWaitingForQuiet_DeletesAtOnce()
    {
        var rig = _layer.Rig(NewFill, present: _layer.Blob.Length);
        var trash = Path.Combine(rig.Store.Root, StoreTrash.FolderName);
        rig.Fill.Enqueue(_layer.Request(rig.Server));
        await _layer.WaitForStateAsync(rig.Store, LayerState.Local);
        Assert.True(PartialInTrash(trash));

        await rig.Fill.DisposeAsync(); // the clock never moves: only stopping ends the wait
        await rig.Store.TrashEmptiedInBackground.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(Directory.Exists(trash));
        await rig.DisposeAsync();
    }

    private static bool PartialInTrash(string trash) => Directory.Exists(trash) && Directory.EnumerateFiles(trash, "blob.partial-*").Any();

    /// <summary>Until the deletion's wait has set its timer, so that the test's next move of the clock is one it sees.</summary>
    private async Task WaitForTimerAsync()
    {
        for (var waited = 0; _clock.PendingTimers == 0 && waited < 100; waited++) await Task.Delay(50);
        Assert.NotEqual(0, _clock.PendingTimers);
    }

    private BackgroundFill NewFill(RegistryClient registry, LayerStore store) =>
        new(registry, store, new LayerApplier(), new BackgroundFillOptions { ChunkBytes = 64 * 1024, MaxConcurrentRequests = 1, DelayMilliseconds = 0 },
            userXattr: false, time: _clock);
}
