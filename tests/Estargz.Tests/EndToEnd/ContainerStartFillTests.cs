using System.Diagnostics;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// The estargz backend hands a container start to its background fill: a layer mounted right after one becomes local
/// only once the pause is over (root only: real FUSE mounts, the backend in process, the loopback registry).
/// </summary>
[Collection(EstargzImagesCollection.Name)]
public sealed class ContainerStartFillTests(EstargzImages images) : IAsyncLifetime
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(4);
    private readonly RegistryClient _registry = new();
    private string _root = "";

    public Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) _root = Directory.CreateDirectory(images.Directory.Combine("start-fill-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (_root.Length > 0) MountTable.UnmountUnder(_root);
        _registry.Dispose();
        return Task.CompletedTask;
    }

    [RootOnlyFact]
    public async Task ContainerStarting_ThenALayerMounts_TheLayerIsFilledOnlyAfterThePause()
    {
        var ct = EstargzImages.Timeout;
        var state = Path.Combine(_root, "state");
        var options = new EstargzBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0, ContainerStartPauseMilliseconds = (int)Pause.TotalMilliseconds } };
        await using var backend = EstargzTestBackend.Create(_registry, options, state);
        var layer = await EstargzLayerRequests.LayerOneAsync(_registry, images.Estargz, images.Estargz, _root, ct);

        backend.ContainerStarting("default/1/container");
        var paused = Stopwatch.StartNew();
        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        await Task.Delay(1000, ct); // unpaused, the fill (no delay) would have made the small layer local by now
        var localWhilePaused = StoreStatusFile.OnlyLayerIsLocal(state);
        var checkedAt = paused.Elapsed;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!StoreStatusFile.OnlyLayerIsLocal(state) && DateTime.UtcNow < deadline) await Task.Delay(100, ct);

        Assert.True(checkedAt < Pause, $"checked {checkedAt} after the start: too late to tell a pause of {Pause}");
        Assert.False(localWhilePaused, "the layer was filled during the pause");
        Assert.True(StoreStatusFile.OnlyLayerIsLocal(state), "the layer did not become local after the pause");
        Assert.True(paused.Elapsed >= Pause, $"the layer was local {paused.Elapsed} after the start, within the pause");
    }
}
