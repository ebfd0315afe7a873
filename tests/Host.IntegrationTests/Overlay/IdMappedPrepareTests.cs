using Mono.Unix.Native;
using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>Id-mapped active snapshots: parents seen through the backend's id-mapped views (root: tmpfs).</summary>
public class IdMappedPrepareTests
{
    private static readonly Dictionary<string, string> Mapping = new()
    {
        [SnapshotLabels.UidMapping] = "0:100000:65536",
        [SnapshotLabels.GidMapping] = "0:100000:65536",
    };

    [RootOnlyFact]
    public async Task Prepare_IdMapped_UsesBackendViewsAsLowersAndRemovesThemAfter()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.Lazy | BackendCapabilities.Local);
        // A lazily served layer, then a plain one applied by containerd on top of it.
        Assert.Equal("L1", (await core.Snapshotter.PrepareAsync("default/1/a", "", new Dictionary<string, string>
        {
            [SnapshotLabels.TargetRef] = "L1",
            [SnapshotLabels.CriImageRef] = "127.0.0.1:5000/app:1",
            [SnapshotLabels.CriLayerDigest] = "sha256:1111",
        }, null, CancellationToken.None)).CommittedTarget);
        await core.Snapshotter.PrepareAsync("default/2/b", "L1", new Dictionary<string, string>(), null, CancellationToken.None);
        await core.Snapshotter.CommitAsync("L2", "default/2/b", new Dictionary<string, string>(), CancellationToken.None);

        var mount = Assert.Single((await core.Snapshotter.PrepareAsync("default/3/c", "L2", Mapping, null, CancellationToken.None)).Mounts);

        var lowers = mount.Options.Single(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))["lowerdir=".Length..].Split(':');
        Assert.All(lowers, lower => Assert.Contains("/idmap/", lower));
        Assert.Contains(core.Backend.Calls, c => c.StartsWith("idmap-lazy", StringComparison.Ordinal));
        Assert.Contains(core.Backend.Calls, c => c.StartsWith("idmap-local", StringComparison.Ordinal));
        var upper = mount.Options.Single(o => o.StartsWith("upperdir=", StringComparison.Ordinal))["upperdir=".Length..];
        Assert.Equal(0, Syscall.stat(upper, out var stat));
        Assert.Equal((100000u, 100000u), (stat.st_uid, stat.st_gid));
        Assert.Equal(mount.Options, Assert.Single(await core.Snapshotter.MountsAsync("default/3/c", CancellationToken.None)).Options);

        await core.Snapshotter.RemoveAsync("default/3/c", CancellationToken.None);
        Assert.All(lowers, lower => Assert.False(Directory.Exists(lower)));
    }

    [RootOnlyFact]
    public async Task Prepare_IdMappedWithoutLocalBackend_FailsAndLeavesNothing()
    {
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None);
        await core.Snapshotter.PrepareAsync("a", "", new Dictionary<string, string>(), null, CancellationToken.None);
        await core.Snapshotter.CommitAsync("A", "a", new Dictionary<string, string>(), CancellationToken.None);
        var before = core.Directories();

        var error = await Assert.ThrowsAsync<SnapshotterException>(() => core.Snapshotter.PrepareAsync("b", "A", Mapping, null, CancellationToken.None));

        Assert.Equal(SnapshotErrorKind.FailedPrecondition, error.Kind);
        Assert.Equal(before, core.Directories());
        Assert.Single(await core.ListAsync());
    }
}
