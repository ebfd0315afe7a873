using System.Text.RegularExpressions;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Snapshotter;
using Xunit.Abstractions;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>
/// Nothing a pull kept outlives it (issue 15, item 2), through a real containerd 1.6 (root only; needs scripts/build.sh's
/// out/): each test ends with its images removed and the daemon's root as it found it.
/// </summary>
public sealed partial class LeakTests(LeakEnvironment env, ITestOutputHelper output) : IClassFixture<LeakEnvironment>
{
    // Killed once this much of the 16 MB layer is down (parallel pull: in its blob; local: written into the apply staging).
    private const long MidPullBytes = 4 << 20;

    [RootOnlyFact]
    public async Task RemoveAllImages_AfterConcurrentPullsOfOneImageUnderEightTagsAndADistinctImage_UnpackedEachLayerOnceAndRootReturnsToItsSize()
    {
        var ct = TestContext.Token;
        var before = env.Usage();
        var logStart = env.Daemon.Log.Length;
        string[] images = [.. env.TaggedImages, env.DistinctImage];

        await Task.WhenAll(images.Select(image => env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", LeakEnvironment.Snapshotter, image], ct)));
        var pulled = env.Usage();
        var staging = await WaitForAsync(() => Entries("staging"), e => e.Count == 0, TimeSpan.FromSeconds(10), ct);
        var unpacked = UnpackedLayers(env.Daemon.Log[logStart..]);
        var keptBlobs = Entries("blobs").Count;

        await env.Containerd.CtrAsync(["image", "rm", "--sync", .. images], ct);
        var after = await WaitForAsync(env.Usage, u => u.Bytes == before.Bytes && u.Added(before).Count == 0, TimeSpan.FromSeconds(60), ct);

        output.WriteLine($"root before the pulls: {before}");
        output.WriteLine($"root after {images.Length} concurrent pulls: {pulled}; kept blobs {keptBlobs}; unpacks {unpacked.Count} of {unpacked.Distinct().Count()} layers");
        output.WriteLine($"root after removing every image: {after}");
        Assert.True(staging.Count == 0, $"staging still held after every layer was claimed:\n{string.Join('\n', staging)}\n{env.Describe()}");
        Assert.True(unpacked.Count == unpacked.Distinct().Count(), $"layers unpacked more than once: {string.Join(", ", unpacked)}\n{env.Describe()}");
        Assert.InRange(unpacked.Count, 3, 4); // 4 layers in all; busybox's may be left from nothing else, since each test cleans up
        Assert.True(after.Bytes == before.Bytes && after.Added(before).Count == 0,
            $"the root held {after} after removing every image, {before} before; added:\n{string.Join('\n', after.Added(before))}\n{env.Describe()}");
    }

    [RootOnlyFact]
    public async Task KillDuringParallelPull_Restart_NothingLeftAndAfterTheNextPullAndRemovalTheRootIsAsBefore()
    {
        await KillDuringPullAsync(env.SlowParallelImage, root => Entries("blobs").Count > 0 && root.Bytes > MidPullBytes);
    }

    [RootOnlyFact]
    public async Task KillDuringLocalApply_Restart_ApplyStagingRemovedAndAfterTheNextPullAndRemovalTheRootIsAsBefore()
    {
        await KillDuringPullAsync(env.SlowLocalImage, root => root.Paths.Any(p => ApplyStaging().IsMatch(p)) && root.Bytes > MidPullBytes);
    }

    private async Task KillDuringPullAsync(string image, Func<RootUsage, bool> isMidPull)
    {
        var ct = TestContext.Token;
        await env.Containerd.WaitForSnapshotterAsync(LeakEnvironment.Snapshotter, ct); // after another test's crash, too
        var before = env.Usage();
        // The registry's blob responses stop once twice the mid-pull amount is through: the pull waits there until killed.
        var gate = env.Proxy.Hold(2 * MidPullBytes);
        Task pull;
        try
        {
            pull = env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", LeakEnvironment.Snapshotter, image], ct);
            var midPull = await WaitForAsync(env.Usage, u => isMidPull(u) || pull.IsCompleted, TimeSpan.FromSeconds(60), ct);
            Assert.False(pull.IsCompleted, $"the held pull ended before it could be interrupted\n{env.Describe()}");
            output.WriteLine($"root when killed: {midPull}");
            await env.Daemon.CrashAndRestartAsync(ct);
        }
        finally
        {
            gate.Release();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => pull);
        var restarted = env.Usage();
        output.WriteLine($"root after the restart: {restarted}");
        var staged = restarted.Paths.Where(p => ApplyStaging().IsMatch(p) || p.Contains("/staging/", StringComparison.Ordinal) || p.Contains("/blobs/", StringComparison.Ordinal)).ToList();
        Assert.True(staged.Count == 0, $"left after the restart:\n{string.Join('\n', staged)}\n{env.Describe()}");
        Assert.True(env.Daemon.IsRunning, $"the restarted daemon stopped\n{env.Describe()}");

        await PullOnceContainerdRedialsAsync(image, ct);
        var content = await env.Containerd.RunContainerAsync(image, LeakEnvironment.Snapshotter, ["wc", "-c", "/data/random"], ct);
        Assert.Equal($"{16 << 20} /data/random", content.Trim());
        await env.Containerd.CtrAsync(["image", "rm", "--sync", image], ct);
        var after = await WaitForAsync(env.Usage, u => u.Bytes == before.Bytes && u.Added(before).Count == 0, TimeSpan.FromSeconds(60), ct);
        output.WriteLine($"root before: {before}; after the pull again and its removal: {after}");
        Assert.True(after.Bytes == before.Bytes && after.Added(before).Count == 0,
            $"the root held {after} at the end, {before} before; added:\n{string.Join('\n', after.Added(before))}\n{env.Describe()}");
    }

    // containerd redials a restarted proxy snapshotter after a backoff, and `ctr snapshots ls` of an empty namespace does not
    // reach it: until then a Prepare fails at once with gRPC's "unavailable" (connection refused, or the killed daemon's
    // connection closed), before anything reaches the daemon.
    private async Task PullOnceContainerdRedialsAsync(string image, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", LeakEnvironment.Snapshotter, image], ct);
                return;
            }
            catch (InvalidOperationException e) when (e.Message.Contains(": unavailable", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
            }
        }
    }

    private List<string> Entries(string folder)
    {
        var path = Path.Combine(env.ParallelPullState, folder);
        return Directory.Exists(path) ? [.. Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories)] : [];
    }

    private static List<string> UnpackedLayers(string log) => [.. UnpackedLine().Matches(log).Select(m => m.Groups[1].Value)];

    // Polls until the condition holds or the time is up; returns the last value either way (the caller asserts on it).
    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> condition, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = read();
            if (condition(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(20, ct);
        }
    }

    [GeneratedRegex(@"Unpacked layer (sha256:[0-9a-f]{64})")]
    private static partial Regex UnpackedLine();

    // lib/Layers' staging next to a snapshot's fs: snapshots/<id>/.fs.apply-<guid>
    [GeneratedRegex(@"^snapshots/[^/]+/\.fs\.apply-[0-9a-f]{32}$")]
    private static partial Regex ApplyStaging();
}
