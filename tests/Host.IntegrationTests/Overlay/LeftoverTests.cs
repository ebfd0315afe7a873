using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>What a killed daemon leaves under snapshots/, and duplicate work by concurrent pulls of one chain (root: tmpfs).</summary>
public class LeftoverTests
{
    [RootOnlyFact]
    public async Task Restart_ApplyStagingAndOrphanDirectoriesLeftByAKilledRun_AreRemovedAndSnapshotsKept()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Local);
        await core.Snapshotter.PrepareAsync("default/1/active", "", new Dictionary<string, string>(), null, CancellationToken.None);
        var id = Assert.Single(core.Directories());
        var snapshot = Path.Combine(core.SnapshotsDirectory, id);
        var staging = Directory.CreateDirectory(Path.Combine(snapshot, $".fs.apply-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(staging, "half-written"), new byte[4096]);
        var unrelated = Directory.CreateDirectory(Path.Combine(snapshot, ".fs.apply-notaguid")).FullName;
        Directory.CreateDirectory(Path.Combine(core.SnapshotsDirectory, "new-3f2a", "fs"));
        Directory.CreateDirectory(Path.Combine(core.SnapshotsDirectory, "999", "fs"));

        await core.RestartAsync(core.Options);

        Assert.Equal([id], core.Directories());
        Assert.False(Directory.Exists(staging), "the apply staging survived the restart");
        Assert.True(Directory.Exists(Path.Combine(snapshot, "fs")));
        Assert.True(Directory.Exists(unrelated), "a folder not named like the applier's staging was removed");
        await core.Snapshotter.StatAsync("default/1/active", CancellationToken.None);
    }

    [RootOnlyFact]
    public async Task Prepare_EightConcurrentPreparesOfOneTarget_BackendCalledOnceAllAnswerCommitted()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Parallel);
        core.Backend.Parallel = _ =>
        {
            Thread.Sleep(200); // a pull long enough for the others to arrive
            return MountResult.Mounted;
        };
        var labels = new Dictionary<string, string>
        {
            [SnapshotLabels.TargetRef] = "sha256:aaa",
            [SnapshotLabels.StargzReference] = "127.0.0.1:5000/app:1",
            [SnapshotLabels.StargzDigest] = "sha256:1111",
        };

        var prepares = Enumerable.Range(1, 8).Select(i => Task.Run(() =>
            core.Snapshotter.PrepareAsync($"default/{i}/extract-{i} sha256:aaa", "", labels, null, CancellationToken.None))).ToList();
        var results = await Task.WhenAll(prepares);

        Assert.All(results, r => Assert.Equal("sha256:aaa", r.CommittedTarget));
        Assert.Single(core.Backend.Calls, c => c.StartsWith("parallel", StringComparison.Ordinal));
        Assert.Single(core.Directories()); // the committed layer; the seven actives were removed
    }
}
