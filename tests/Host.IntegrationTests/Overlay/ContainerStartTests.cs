using PluggableSnapshotter.Host.Core;
using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Logging;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>
/// Which snapshot operations tell the backends a container is starting (<see cref="IContainerStartObserver"/>): a Prepare
/// without <c>containerd.io/snapshot.ref</c> or a View, on a parent; never an image layer's Prepare. And which removals
/// tell them a container is gone: those of such snapshots only (root: the real core on tmpfs with a scripted backend
/// that observes starts and removals).
/// </summary>
public sealed class ContainerStartTests
{
    private const BackendCapabilities All = BackendCapabilities.Lazy | BackendCapabilities.Parallel | BackendCapabilities.Local;
    private static readonly Dictionary<string, string> NoLabels = [];

    private static Dictionary<string, string> CriLabels(string target, string layer) => new()
    {
        [SnapshotLabels.TargetRef] = target,
        [SnapshotLabels.CriImageRef] = "127.0.0.1:5000/app:1",
        [SnapshotLabels.CriLayerDigest] = layer,
        [SnapshotLabels.CriManifestDigest] = "sha256:feed",
        [SnapshotLabels.CriImageLayers] = "sha256:1111,sha256:2222",
    };

    /// <summary>Two image layers, lazily mounted and committed as sha256:aaa and sha256:bbb (on it), as rpull leaves them.</summary>
    private static async Task PullAsync(CoreFixture core)
    {
        await core.Snapshotter.PrepareAsync("default/1/extract-1 sha256:aaa", "", CriLabels("sha256:aaa", "sha256:1111"), null, CancellationToken.None);
        await core.Snapshotter.PrepareAsync("default/2/extract-2 sha256:bbb", "sha256:aaa", CriLabels("sha256:bbb", "sha256:2222"), null, CancellationToken.None);
        Assert.Equal(SnapshotKind.Committed, (await core.Snapshotter.StatAsync("sha256:bbb", CancellationToken.None)).Kind);
    }

    [RootOnlyFact]
    public async Task Prepare_ImageLayers_TellNoObserver()
    {
        await using var core = await CoreFixture.CreateAsync(All);

        await PullAsync(core);

        Assert.Empty(core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task Prepare_LayerContainerdApplies_TellsNoObserver()
    {
        // ctr image pull: containerd unpacks, its Prepare on a parent still carries the target label.
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);
        var labels = new Dictionary<string, string> { [SnapshotLabels.TargetRef] = "sha256:ccc" };

        await core.Snapshotter.PrepareAsync("default/3/extract-3 sha256:ccc", "sha256:bbb", labels, null, CancellationToken.None);

        Assert.Empty(core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task Prepare_LayerUnpackWithoutTargetLabel_TellsNoObserver()
    {
        // A client-side unpack (containerd 1.6's image.Unpack) prepares extract-* keys on a parent with no label at all.
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);

        await core.Snapshotter.PrepareAsync("default/3/extract-3-x9Kq sha256:ccc", "sha256:bbb", NoLabels, null, CancellationToken.None);

        Assert.Empty(core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task Prepare_ContainerOnImageLayers_TellsTheObserverItsKey()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);

        await core.Snapshotter.PrepareAsync("default/4/container", "sha256:bbb", NoLabels, null, CancellationToken.None);

        Assert.Equal(["default/4/container"], core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task View_OnImageLayers_TellsTheObserverItsKey()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);

        await core.Snapshotter.ViewAsync("default/5/view", "sha256:aaa", NoLabels, CancellationToken.None);

        Assert.Equal(["default/5/view"], core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task PrepareAndView_WithoutParent_TellNoObserver()
    {
        await using var core = await CoreFixture.CreateAsync(All);

        await core.Snapshotter.PrepareAsync("default/6/scratch", "", NoLabels, null, CancellationToken.None);
        await core.Snapshotter.ViewAsync("default/7/empty-view", "", NoLabels, CancellationToken.None);

        Assert.Empty(core.Backend.ContainersStarting);
    }

    [RootOnlyFact]
    public async Task Remove_ContainerAndView_TellTheObserverTheirKeys()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);
        await core.Snapshotter.PrepareAsync("default/4/container", "sha256:bbb", NoLabels, null, CancellationToken.None);
        await core.Snapshotter.ViewAsync("default/5/view", "sha256:aaa", NoLabels, CancellationToken.None);

        await core.Snapshotter.RemoveAsync("default/4/container", CancellationToken.None);
        await core.Snapshotter.RemoveAsync("default/5/view", CancellationToken.None);

        Assert.Equal(["default/4/container", "default/5/view"], core.Backend.ContainersRemoved);
    }

    [RootOnlyFact]
    public async Task Remove_ImageLayersUnpacksAndParentlessSnapshots_TellNoObserver()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PullAsync(core);
        await core.Snapshotter.PrepareAsync("default/3/extract-3-x9Kq sha256:ccc", "sha256:bbb", NoLabels, null, CancellationToken.None);
        // A layer left for containerd to apply, by a client whose keys are no extract-*: its target label tells.
        var layer = new Dictionary<string, string> { [SnapshotLabels.TargetRef] = "sha256:ddd" };
        await core.Snapshotter.PrepareAsync("default/5/apply sha256:ddd", "sha256:bbb", layer, null, CancellationToken.None);
        Assert.Equal(SnapshotKind.Active, (await core.Snapshotter.StatAsync("default/5/apply sha256:ddd", CancellationToken.None)).Kind);
        await core.Snapshotter.PrepareAsync("default/6/scratch", "", NoLabels, null, CancellationToken.None);

        await core.Snapshotter.RemoveAsync("default/3/extract-3-x9Kq sha256:ccc", CancellationToken.None);
        await core.Snapshotter.RemoveAsync("default/5/apply sha256:ddd", CancellationToken.None);
        await core.Snapshotter.RemoveAsync("default/6/scratch", CancellationToken.None);
        await core.Snapshotter.RemoveAsync("sha256:bbb", CancellationToken.None);
        await core.Snapshotter.RemoveAsync("sha256:aaa", CancellationToken.None);

        Assert.Empty(core.Backend.ContainersRemoved);
    }

    [RootOnlyFact]
    public async Task Remove_ObserverThrows_RemoveSucceedsAndHostLog73IsLogged()
    {
        var logger = new EventIdLogger<ChainPreparer>();
        await using var core = await CoreFixture.CreateAsync(All, chainLogger: logger);
        await PullAsync(core);
        await core.Snapshotter.PrepareAsync("default/8/container", "sha256:bbb", NoLabels, null, CancellationToken.None);
        core.Backend.ObserverThrows = true;

        await core.Snapshotter.RemoveAsync("default/8/container", CancellationToken.None);

        var gone = await Assert.ThrowsAsync<SnapshotterException>(() => core.Snapshotter.StatAsync("default/8/container", CancellationToken.None));
        Assert.Equal(SnapshotErrorKind.NotFound, gone.Kind);
        Assert.Equal(["default/8/container"], core.Backend.ContainersRemoved);
        Assert.Contains(73, logger.EventIds);
    }

    [RootOnlyFact]
    public async Task Prepare_ObserverThrows_PrepareSucceedsAndHostLog73IsLogged()
    {
        var logger = new EventIdLogger<ChainPreparer>();
        await using var core = await CoreFixture.CreateAsync(All, chainLogger: logger);
        await PullAsync(core);
        core.Backend.ObserverThrows = true;

        var result = await core.Snapshotter.PrepareAsync("default/8/container", "sha256:bbb", NoLabels, null, CancellationToken.None);

        Assert.Equal("overlay", Assert.Single(result.Mounts).Type);
        Assert.Equal(SnapshotKind.Active, (await core.Snapshotter.StatAsync("default/8/container", CancellationToken.None)).Kind);
        Assert.Equal(["default/8/container"], core.Backend.ContainersStarting);
        Assert.Contains(73, logger.EventIds);
    }
}
