using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>containerd's overlayfs semantics of the core, and that failed operations change nothing (root: tmpfs).</summary>
public class CoreTests
{
    private static readonly Dictionary<string, string> NoLabels = [];

    private static async Task<(List<SnapshotInfo> List, string[] Directories)> StateAsync(CoreFixture core) =>
        (await core.ListAsync(), core.Directories());

    private static async Task AssertFailsUnchangedAsync(CoreFixture core, SnapshotErrorKind kind, Func<Task> operation)
    {
        var before = await StateAsync(core);
        var error = await Assert.ThrowsAsync<SnapshotterException>(operation);
        Assert.Equal(kind, error.Kind);
        var after = await StateAsync(core);
        Assert.Equal(before.Directories, after.Directories);
        Assert.Equal(before.List.Select(i => (i.Name, i.Kind, i.Parent, i.Updated)), after.List.Select(i => (i.Name, i.Kind, i.Parent, i.Updated)));
    }

    [RootOnlyFact]
    public async Task Mounts_SingleLayerAndOverlay_AsContainerdReturnsThem()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None);
        var base1 = await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None);
        Assert.Equal(["rw", "rbind"], Assert.Single(base1.Mounts).Options);
        await core.Snapshotter.CommitAsync("A", "a", NoLabels, CancellationToken.None);

        var view = Assert.Single(await core.Snapshotter.ViewAsync("v", "A", NoLabels, CancellationToken.None));
        Assert.Equal("bind", view.Type);
        Assert.Equal(["ro", "rbind"], view.Options);

        var active = Assert.Single((await core.Snapshotter.PrepareAsync("b", "A", NoLabels, null, CancellationToken.None)).Mounts);
        Assert.Equal("overlay", active.Type);
        Assert.Contains(active.Options, o => o.StartsWith("upperdir=", StringComparison.Ordinal));
        Assert.Contains(active.Options, o => o.StartsWith("workdir=", StringComparison.Ordinal));
    }

    [RootOnlyFact]
    public async Task BadInput_EachFailure_LeavesMetadataAndDirectoriesAsTheyWere()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None);
        await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None);
        await core.Snapshotter.CommitAsync("A", "a", NoLabels, CancellationToken.None);
        await core.Snapshotter.PrepareAsync("b", "A", NoLabels, null, CancellationToken.None);

        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.AlreadyExists, () => core.Snapshotter.PrepareAsync("b", "", NoLabels, null, CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.NotFound, () => core.Snapshotter.PrepareAsync("c", "missing", NoLabels, null, CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.InvalidArgument, () => core.Snapshotter.PrepareAsync("c", "b", NoLabels, null, CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.FailedPrecondition, () => core.Snapshotter.RemoveAsync("A", CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.AlreadyExists, () => core.Snapshotter.CommitAsync("A", "b", NoLabels, CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.FailedPrecondition, () => core.Snapshotter.CommitAsync("B", "A", NoLabels, CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.FailedPrecondition, () => core.Snapshotter.MountsAsync("A", CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.InvalidArgument, () => core.ListAsync("kind=="));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.InvalidArgument, () => core.Snapshotter.UpdateAsync(
            new SnapshotInfo { Name = "A", Kind = SnapshotKind.Committed }, ["parent"], CancellationToken.None));
        await AssertFailsUnchangedAsync(core, SnapshotErrorKind.NotFound, () => core.Snapshotter.RemoveAsync("missing", CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task Update_LabelPaths_ChangeOnlyThoseLabels()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None);
        await core.Snapshotter.PrepareAsync("a", "", new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" }, null, CancellationToken.None);

        var updated = await core.Snapshotter.UpdateAsync(new SnapshotInfo
        {
            Name = "a",
            Kind = SnapshotKind.Active,
            Labels = new Dictionary<string, string> { ["x"] = "10", ["z"] = "3" },
        }, ["labels.x", "labels.y"], CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["x"] = "10" }, updated.Labels);
    }

    [RootOnlyFact]
    public async Task Remove_Asynchronous_DefersDeletionToCleanup()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None, new SnapshotterOptions { AsynchronousRemove = true });
        await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None);
        await core.Snapshotter.RemoveAsync("a", CancellationToken.None);

        Assert.Single(core.Directories());
        await core.Snapshotter.CleanupAsync(CancellationToken.None);
        Assert.Empty(core.Directories());
    }

    [RootOnlyFact]
    public async Task Usage_ActiveAndCommitted_CountsTheLayersOwnFiles()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None);
        var mount = Assert.Single((await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None)).Mounts);
        await File.WriteAllBytesAsync(Path.Combine(mount.Source, "data"), new byte[64 * 1024]);

        var active = await core.Snapshotter.UsageAsync("a", CancellationToken.None);
        await core.Snapshotter.CommitAsync("A", "a", NoLabels, CancellationToken.None);
        var committed = await core.Snapshotter.UsageAsync("A", CancellationToken.None);

        Assert.Equal(2, active.Inodes);
        Assert.True(active.Size >= 64 * 1024);
        Assert.Equal(active, committed);
    }
}
