using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>
/// Pull and run through a real containerd 1.6 with our daemon as its proxy snapshotter
/// (root only). With an empty chain the daemon is a plain overlayfs snapshotter and
/// containerd fetches and applies the layers itself.
/// </summary>
public sealed class ContainerdPullTests(PullEnvironment env) : IClassFixture<PullEnvironment>
{
    [RootOnlyFact]
    public async Task CtrImagePull_BusyboxFromLocalRegistry_CtrRunPrintsFile()
    {
        var ct = TestContext.Token;
        await env.Containerd.CtrAsync(["image", "pull", "--snapshotter", PullEnvironment.Snapshotter, "--plain-http", env.BusyboxImage], ct);

        var output = await env.Containerd.RunContainerAsync(env.BusyboxImage, PullEnvironment.Snapshotter, ["cat", "/etc/message"], ct);

        Assert.Equal(PullEnvironment.BusyboxMessage, output);
    }

    [RootOnlyFact]
    public async Task CtrRemoteRpull_EmptyChain_ContainerdUnpacksAndCtrRunPrintsFile()
    {
        var ct = TestContext.Token;
        // rpull sends the remote-snapshot labels; with no backend the daemon hands the layers back to containerd.
        await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", PullEnvironment.Snapshotter, env.RpullImage], ct);

        var output = await env.Containerd.RunContainerAsync(env.RpullImage, PullEnvironment.Snapshotter, ["cat", "/etc/message"], ct);

        Assert.Equal(PullEnvironment.RpullMessage, output);
    }

    [RootOnlyFact]
    public async Task CtrImagePull_LayeredImage_RootfsInOurSnapshotterMatchesUmociUnpack()
    {
        var ct = TestContext.Token;
        await env.Containerd.CtrAsync(["image", "pull", "--snapshotter", PullEnvironment.Snapshotter, "--plain-http", env.LayeredImage], ct);
        var expected = RootfsListing.Capture(await env.LayeredLayout!.UnpackAsync(env.Directory.Combine("layered-bundle"), ct));

        var actual = await env.Containerd.CaptureImageRootfsAsync(env.LayeredImage, PullEnvironment.Snapshotter, env.Directory.Combine("layered-mount"), ct);

        // The root directory is the container's fresh upper layer, not part of the image.
        var differences = RootfsListing.Compare(expected, actual);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
    }

    [RootOnlyFact]
    public async Task CtrSnapshotsList_AfterPull_EveryLayerIsCommittedInOurSnapshotter()
    {
        var ct = TestContext.Token;
        await env.Containerd.CtrAsync(["image", "pull", "--snapshotter", PullEnvironment.Snapshotter, "--plain-http", env.BusyboxImage], ct);

        var listing = await env.Containerd.CtrAsync(["snapshots", "--snapshotter", PullEnvironment.Snapshotter, "ls"], ct);

        // busybox layer + message layer: two committed snapshots, the second the child of the first.
        var committed = listing.StandardOutput.Split('\n').Where(l => l.TrimEnd().EndsWith("Committed", StringComparison.Ordinal)).ToList();
        Assert.True(committed.Count >= 2, $"ctr snapshots ls:\n{listing.StandardOutput}\n{env.Describe()}");
        var daemonDirectories = Directory.GetDirectories(Path.Combine(env.Daemon.Root, "snapshots"));
        Assert.True(daemonDirectories.Length >= 2, $"snapshot directories under {env.Daemon.Root}: {daemonDirectories.Length}");
    }
}
