using System.Diagnostics;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// The soci backend hands a container start to its background fill: a layer mounted right after one is fetched only once
/// the pause is over (root only: real FUSE mounts and the loopback registry, whose log counts the bytes it served).
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class ContainerStartFillTests(SociImages images) : BackendTestRoot(images, "start-fill")
{
    private const int DataLayer = 1; // no /etc: nothing is fetched at its mount but by the fill
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(6); // room for the mount and the check on a loaded machine

    [RootOnlyFact]
    public async Task ContainerStarting_ThenALayerMounts_TheFillFetchesNothingUntilThePauseIsOver()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state");
        var options = new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 0, ContainerStartPauseMilliseconds = (int)Pause.TotalMilliseconds } };
        await using var backend = TestBackend.Create(Registry, options, state, fill: true);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, DataLayer, Root, ct);
        var before = Images.Registry.Log.Length;

        backend.ContainerStarting("default/1/container");
        var paused = Stopwatch.StartNew();
        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        await Task.Delay(1000, ct); // unpaused, the fill (no delay) would have fetched the small layer by now
        var fetchedWhilePaused = RegistryTraffic.BlobBytes(Images.Registry.Log[before..], [layer.LayerDigest!]);
        var checkedAt = paused.Elapsed;
        await WaitForLocalAsync(state, layer.LayerDigest!, ct);

        Assert.True(checkedAt < Pause, $"checked {checkedAt} after the start: too late to tell a pause of {Pause}");
        Assert.Equal(0, fetchedWhilePaused);
        Assert.True(paused.Elapsed >= Pause, $"the layer was local {paused.Elapsed} after the start, within the pause");
        Assert.Equal(await LayerRequests.SizeAsync(Registry, layer, ct), RegistryTraffic.BlobBytes(Images.Registry.Log[before..], [layer.LayerDigest!]));
    }

    private static async Task WaitForLocalAsync(string state, string digest, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? current = null;
        while (current != "local" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
            current = StoreStatusFile.Read(Path.Combine(state, "status.json"))?.GetValueOrDefault(digest);
        }
        Assert.Equal("local", current);
    }
}
