using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>SOCI's remote Prepare flow through the real core (root: overlay directories and bind mounts on tmpfs).</summary>
public class RemotePrepareTests
{
    private const BackendCapabilities All = BackendCapabilities.Lazy | BackendCapabilities.Parallel | BackendCapabilities.Local;

    private static Dictionary<string, string> CriLabels(string target, string layer = "sha256:1111") => new()
    {
        [SnapshotLabels.TargetRef] = target,
        [SnapshotLabels.CriImageRef] = "127.0.0.1:5000/app:1",
        [SnapshotLabels.CriLayerDigest] = layer,
        [SnapshotLabels.CriManifestDigest] = "sha256:feed",
        [SnapshotLabels.CriImageLayers] = layer,
    };

    // A remote Prepare that a backend (or an earlier Prepare) committed: the answer the gRPC adapter turns into AlreadyExists.
    private static async Task<PrepareResult> PrepareLayerAsync(CoreFixture core, string key, string parent, Dictionary<string, string> labels)
    {
        var result = await core.Snapshotter.PrepareAsync(key, parent, labels, null, CancellationToken.None);
        Assert.NotNull(result.CommittedTarget);
        return result;
    }

    [RootOnlyFact]
    public async Task Prepare_LazyMounted_CommitsTargetWithRemoteLabelsAndAnswersCommitted()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        var result = await PrepareLayerAsync(core, "default/1/extract-1 sha256:aaa", "", CriLabels("sha256:aaa"));

        Assert.Equal("sha256:aaa", result.CommittedTarget);
        var info = await core.Snapshotter.StatAsync("sha256:aaa", CancellationToken.None);
        Assert.Equal(SnapshotKind.Committed, info.Kind);
        Assert.Equal("remote snapshot", info.Labels[SnapshotLabels.Remote]);
        Assert.Equal("lazy", info.Labels[SnapshotLabels.BackendRole]);
        Assert.Equal("default", info.Labels[SnapshotLabels.Namespace]);
        Assert.Equal("sha256:aaa", info.Labels[SnapshotLabels.TargetRef]);
        Assert.Equal("scripted", info.Labels[SnapshotLabels.Backend]);
        Assert.Equal("scripted/lazy prepared", info.Labels[HostLabels.Why]);
        // containerd finds it by label and exact parent.
        var found = await core.ListAsync("labels.\"containerd.io/snapshot.ref\"==sha256:aaa,parent==\"\"");
        Assert.Single(found);
        await Assert.ThrowsAsync<SnapshotterException>(() => core.Snapshotter.StatAsync("default/1/extract-1 sha256:aaa", CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task Prepare_ChildLayer_CommitsWithExactParentAndServesFilesThroughOverlay()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PrepareLayerAsync(core, "default/1/extract-1 sha256:aaa", "", CriLabels("sha256:aaa", "sha256:1111"));
        await PrepareLayerAsync(core, "default/2/extract-2 sha256:bbb", "sha256:aaa", CriLabels("sha256:bbb", "sha256:2222"));

        var child = await core.Snapshotter.StatAsync("sha256:bbb", CancellationToken.None);
        Assert.Equal("sha256:aaa", child.Parent);
        var mounts = await core.Snapshotter.PrepareAsync("default/3/container", "sha256:bbb", new Dictionary<string, string>(), null, CancellationToken.None);
        var overlay = Assert.Single(mounts.Mounts);
        Assert.Equal("overlay", overlay.Type);
        Assert.Contains(overlay.Options, o => o.StartsWith("lowerdir=", StringComparison.Ordinal) && o.Split(':').Length == 2);
    }

    [RootOnlyFact]
    public async Task Prepare_NoZtoc_UnpacksLocally()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        core.Backend.Lazy = _ => MountResult.NoZtoc("layer not indexed");
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));

        var info = await core.Snapshotter.StatAsync("sha256:aaa", CancellationToken.None);
        Assert.Equal("local", info.Labels[SnapshotLabels.BackendRole]);
        Assert.Equal(["mount sha256:1111", "local sha256:1111"], core.Backend.Calls);
    }

    [RootOnlyFact]
    public async Task Prepare_NoIndexWithoutFallback_HandsLayerBackToContainerdAndRecordsWhy()
    {
        // No parallel backend in the chain and no parallel_pull_as_fallback: containerd pulls unindexed images.
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Lazy | BackendCapabilities.Local);
        core.Backend.Lazy = _ => MountResult.NoIndex("image has no index");
        var result = await core.Snapshotter.PrepareAsync("default/1/k", "", CriLabels("sha256:aaa"), null, CancellationToken.None);

        Assert.Null(result.CommittedTarget);
        var bind = Assert.Single(result.Mounts);
        Assert.Equal("bind", bind.Type);
        Assert.Empty(Directory.EnumerateFileSystemEntries(bind.Source));
        Assert.Equal(SnapshotKind.Active, (await core.Snapshotter.StatAsync("default/1/k", CancellationToken.None)).Kind);
        Assert.Equal(["mount sha256:1111"], core.Backend.Calls);
        // containerd's Commit carries the host's record over to the committed layer.
        await core.Snapshotter.CommitAsync("sha256:aaa", "default/1/k", new Dictionary<string, string>(), CancellationToken.None);
        var committed = await core.Snapshotter.StatAsync("sha256:aaa", CancellationToken.None);
        Assert.Equal("scripted/lazy no-index: image has no index; containerd: no index and no parallel-pull fallback", committed.Labels[HostLabels.Why]);
        Assert.Equal("127.0.0.1:5000/app:1", committed.Labels[HostLabels.Image]);
        Assert.False(committed.Labels.ContainsKey(SnapshotLabels.Backend));
    }

    [RootOnlyFact]
    public async Task Prepare_NoIndexWithParallelFallback_PullsInParallel()
    {
        await using var core = await CoreFixture.CreateAsync(All, new SnapshotterOptions { ParallelPullAsFallback = true });
        core.Backend.Lazy = _ => MountResult.NoIndex("image has no index");
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));

        Assert.Equal("parallel", (await core.Snapshotter.StatAsync("sha256:aaa", CancellationToken.None)).Labels[SnapshotLabels.BackendRole]);
    }

    [RootOnlyFact]
    public async Task Prepare_ParallelPullUnpack_SkipsLazyLoading()
    {
        await using var core = await CoreFixture.CreateAsync(All, new SnapshotterOptions { ParallelPullUnpack = true });
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));

        Assert.Equal(["parallel sha256:1111"], core.Backend.Calls);
    }

    [RootOnlyFact]
    public async Task Prepare_LayerUnderMinLayerSize_SkipsLazyLoading()
    {
        await using var core = await CoreFixture.CreateAsync(All, new SnapshotterOptions { MinLayerSize = 1000 });
        var labels = CriLabels("sha256:aaa");
        labels[SnapshotLabels.SociSize] = "999";
        await PrepareLayerAsync(core, "default/1/k", "", labels);

        Assert.Equal(["local sha256:1111"], core.Backend.Calls);
    }

    [RootOnlyFact]
    public async Task Prepare_LazyThrows_FallsBackToLocal()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        core.Backend.Lazy = _ => throw new HttpRequestException("registry unreachable");
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));

        Assert.Equal("local", (await core.Snapshotter.StatAsync("sha256:aaa", CancellationToken.None)).Labels[SnapshotLabels.BackendRole]);
    }

    [RootOnlyFact]
    public async Task Prepare_BackendLeavesDebris_CoreEmptiesMountpointBeforeContainerdApplies()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Local);
        core.Backend.FailAfterWriting = true;
        var mounts = await core.Snapshotter.PrepareAsync("default/1/k", "", CriLabels("sha256:aaa"), null, CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Assert.Single(mounts.Mounts).Source));
    }

    [RootOnlyFact]
    public async Task Prepare_StargzLabelsFromRpull_AreUnderstood()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Local);
        var labels = new Dictionary<string, string>
        {
            [SnapshotLabels.TargetRef] = "sha256:aaa",
            [SnapshotLabels.StargzReference] = "127.0.0.1:5000/app:1",
            [SnapshotLabels.StargzDigest] = "sha256:5555",
            [SnapshotLabels.StargzLayers] = "sha256:5555,sha256:6666",
        };
        await PrepareLayerAsync(core, "default/1/k", "", labels);

        Assert.Equal(["local sha256:5555"], core.Backend.Calls);
    }

    [RootOnlyFact]
    public async Task Prepare_OnlyTargetLabelAsCtrPullSends_DefersWithoutAskingBackends()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        var result = await core.Snapshotter.PrepareAsync("default/1/k", "", new Dictionary<string, string> { [SnapshotLabels.TargetRef] = "sha256:aaa" }, null, CancellationToken.None);

        Assert.Single(result.Mounts);
        Assert.Empty(core.Backend.Calls);
        Assert.Equal(SnapshotKind.Active, (await core.Snapshotter.StatAsync("default/1/k", CancellationToken.None)).Kind);
    }

    [RootOnlyFact]
    public async Task Prepare_NoNamespaceAnywhere_FailsAndLeavesNothing()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        var error = await Assert.ThrowsAsync<SnapshotterException>(() => core.Snapshotter.PrepareAsync("extract sha256:aaa", "", CriLabels("sha256:aaa"), null, CancellationToken.None));

        Assert.Equal(SnapshotErrorKind.NoNamespace, error.Kind);
        Assert.Empty(await core.ListAsync());
        Assert.Empty(core.Directories());
    }

    [RootOnlyFact]
    public async Task Prepare_TargetAlreadyCommitted_AnswersCommittedWithoutWork()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));
        var calls = core.Backend.Calls.Count;
        var result = await PrepareLayerAsync(core, "other/1/k", "", CriLabels("sha256:aaa"));

        Assert.Equal("sha256:aaa", result.CommittedTarget);
        Assert.Equal(calls, core.Backend.Calls.Count);
        Assert.Single(await core.ListAsync());
    }

    [RootOnlyFact]
    public async Task Remove_ImageLayer_UnmountsAndCallsCleanImage()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));
        var directory = Assert.Single(core.Directories());
        Assert.True(MountTable.IsMountPoint(Path.Combine(core.SnapshotsDirectory, directory!, "fs")));

        await core.Snapshotter.RemoveAsync("sha256:aaa", CancellationToken.None);

        Assert.Contains("clean sha256:feed", core.Backend.Calls);
        Assert.Empty(core.Directories());
        Assert.Empty(MountTable.MountsUnder(core.SnapshotsDirectory));
    }

    [RootOnlyFact]
    public async Task Restart_LazySnapshot_IsUnmountedAndMountedAgain()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));
        core.Backend.Calls.Clear();

        await core.RestartAsync(core.Options);

        Assert.Equal(["mount sha256:1111", $"check {Path.Combine(core.SnapshotsDirectory, core.Directories()[0]!, "fs")}"], core.Backend.Calls);
        Assert.Single(MountTable.MountsUnder(core.SnapshotsDirectory));
    }

    [RootOnlyFact]
    public async Task Restart_RemountFails_FailsOrWarnsPerAllowInvalidMountsOnRestart()
    {
        await using var core = await CoreFixture.CreateAsync(All);
        await PrepareLayerAsync(core, "default/1/k", "", CriLabels("sha256:aaa"));
        core.Backend.Lazy = _ => throw new IOException("registry gone");

        await Assert.ThrowsAsync<InvalidOperationException>(() => core.RestartAsync(core.Options));
        await core.RestartAsync(core.Options with { AllowInvalidMountsOnRestart = true });

        Assert.Empty(MountTable.MountsUnder(core.SnapshotsDirectory));
        Assert.Single(await core.ListAsync());
    }
}
