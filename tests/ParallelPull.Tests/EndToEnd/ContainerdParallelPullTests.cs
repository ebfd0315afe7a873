using System.Text.RegularExpressions;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>
/// `ctr-remote image rpull` through a real containerd 1.6 into our daemon with the parallel-pull plugin (root only; needs
/// scripts/build.sh's out/host and out/plugins/parallel-pull).
/// </summary>
public sealed partial class ContainerdParallelPullTests(ParallelPullEnvironment env) : IClassFixture<ParallelPullEnvironment>
{
    [RootOnlyFact]
    public async Task CtrRemoteRpull_ParallelPullChain_RootfsIdenticalToOverlayfsPullAndCtrRunWorks()
    {
        var ct = TestContext.Token;
        await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", ParallelPullEnvironment.Snapshotter, env.LayeredImage], ct);
        await env.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", env.LayeredImage], ct);

        var ours = await ListRootfsAsync(ParallelPullEnvironment.Snapshotter, "ours", ct);
        var containerds = await ListRootfsAsync("overlayfs", "overlayfs", ct);
        var output = await env.Containerd.RunContainerAsync(env.LayeredImage, ParallelPullEnvironment.Snapshotter, ["cat", "/data/nested/deeper/file"], ct);

        var differences = RootfsListing.Compare(containerds, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        Assert.True(ours.Count > 100, $"only {ours.Count} entries: busybox is missing");
        Assert.Equal("deep\n", output);
        Assert.All(await CommittedLabelsAsync(ct), labels => Assert.Contains("\"containerd.io/snapshot/pluggable.role\": \"parallel\"", labels));
        var staged = env.Leftovers().Where(p => p.Contains("/staging/", StringComparison.Ordinal)).ToList();
        Assert.True(staged.Count == 0, $"left in staging: {string.Join('\n', staged)}\n{env.Describe()}");
    }

    [RootOnlyFact]
    public async Task CtrRemoteRpull_ChainStartingWithLazyBackendWithoutIndex_FallsBackToParallelPull()
    {
        var ct = TestContext.Token;
        await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", ParallelPullEnvironment.Snapshotter, env.FallbackImage], ct);

        var output = await env.Containerd.RunContainerAsync(env.FallbackImage, ParallelPullEnvironment.Snapshotter, ["cat", "/etc/message"], ct);

        Assert.Equal(ParallelPullEnvironment.Message, output);
        // Every layer containerd lacked (busybox's may be there from another test) went to the lazy backend first, then to parallel pull.
        var asked = File.ReadAllLines(env.LazyAskedFile).Distinct().Count();
        var fallbackSnapshots = (await CommittedLabelsAsync(ct)).Where(l => l.Contains("\"containerd.io/snapshot/pluggable.chain\": \"fallback\"")).ToList();
        Assert.InRange(asked, 1, 2);
        Assert.Equal(asked, fallbackSnapshots.Count);
        Assert.All(fallbackSnapshots, labels => Assert.Contains("\"containerd.io/snapshot/pluggable.role\": \"parallel\"", labels));
    }

    [RootOnlyFact]
    public async Task CtrRemoteRpull_ClientKilledMidPull_LeavesNoStagingJobOrMountAndTheNextPullSucceeds()
    {
        var ct = TestContext.Token;
        var keptBlobs = Blobs();
        // Blob responses stop after 3 MiB (busybox's layer and the start of the 6 MB one): the pull waits there.
        var gate = env.Proxy.Hold(3 << 20);
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pull = env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", ParallelPullEnvironment.Snapshotter, env.GatedImage], kill.Token);
        try
        {
            await WaitUntilAsync(() => Blobs().Except(keptBlobs).Any() || pull.IsCompleted, ct);
            Assert.False(pull.IsCompleted, $"the held pull finished before it could be interrupted\n{env.Describe()}");
            await kill.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull);

            // The abandoned job is stopped: its staging and its unfinished blob go; blobs kept from earlier pulls stay.
            await WaitUntilAsync(() => !env.Leftovers().Any(p => p.Contains("/staging/", StringComparison.Ordinal)) && Blobs().SetEquals(keptBlobs), ct);
            Assert.Empty(MountTable.MountPointsUnder(env.Daemon.Root));
        }
        finally
        {
            gate.Release();
        }

        await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", ParallelPullEnvironment.Snapshotter, env.GatedImage], ct);
        var output = await env.Containerd.RunContainerAsync(env.GatedImage, ParallelPullEnvironment.Snapshotter, ["wc", "-c", "/data/random"], ct);
        Assert.Equal("6291456 /data/random", output.Trim());
    }

    private async Task<IReadOnlyList<RootfsEntry>> ListRootfsAsync(string snapshotter, string name, CancellationToken ct)
    {
        var target = Directory.CreateDirectory(env.Directory.Combine($"mount-{name}-{Guid.NewGuid():N}")).FullName;
        await env.Containerd.CtrAsync(["images", "mount", "--snapshotter", snapshotter, env.LayeredImage, target], ct);
        try
        {
            return RootfsListing.Capture(target);
        }
        finally
        {
            await env.Containerd.CtrAsync(["images", "unmount", "--rm", target], ct);
        }
    }

    /// <summary>The labels (as `ctr snapshots info` prints them) of every committed snapshot in our snapshotter.</summary>
    private async Task<IReadOnlyList<string>> CommittedLabelsAsync(CancellationToken ct)
    {
        var listing = await env.Containerd.CtrAsync(["snapshots", "--snapshotter", ParallelPullEnvironment.Snapshotter, "ls"], ct);
        var result = new List<string>();
        foreach (var line in listing.StandardOutput.Split('\n').Where(l => l.TrimEnd().EndsWith("Committed", StringComparison.Ordinal)))
        {
            var name = Whitespace().Split(line.Trim())[0];
            var info = await env.Containerd.CtrAsync(["snapshots", "--snapshotter", ParallelPullEnvironment.Snapshotter, "info", name], ct);
            result.Add(info.StandardOutput);
        }

        return result;
    }

    private HashSet<string> Blobs() => [.. env.Leftovers().Where(p => p.Contains("/blobs/", StringComparison.Ordinal))];

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(50, ct);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
