using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// A container keeps reading its lazily mounted image while the daemon crashes (kill -9) or is stopped and started
/// again (an upgrade): the FUSE keeper holds the connections, the restarted daemon resumes them, and the container's
/// loop over the image's files sees no error and the right SHA-256 every time (root only; through containerd 1.6).
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class KeptMountsEndToEndTests(SociImages images)
{
    // Files of every layer: busybox itself (the biggest lazily served file), a multi-span file, and the upper layers'.
    private static readonly string[] Files =
        ["/bin/busybox", "/data/big", "/data/nested/deeper/file", "/data/original", "/data/opaque/visible", "/data/replaced"];

    [RootOnlyFact]
    public Task DaemonKilled_RunningContainerReadsEveryFileRightAfterRestart() => ContainerOutlivesDaemonAsync("killed", crash: true);

    [RootOnlyFact]
    public Task DaemonStoppedAndStarted_RunningContainerReadsEveryFileRight() => ContainerOutlivesDaemonAsync("upgraded", crash: false);

    private async Task ContainerOutlivesDaemonAsync(string name, bool crash)
    {
        var ct = SociImages.Timeout;
        await using var node = await SociNode.StartAsync(images.Directory.Combine(name), ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        var shared = Directory.CreateDirectory(images.Directory.Combine(name, "container-out")).FullName;
        var log = Path.Combine(shared, "log");
        var expected = await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["sha256sum", .. Files], ct);
        await File.WriteAllTextAsync(Path.Combine(shared, "expected"), expected, ct);
        var id = $"loop-{name}";
        await node.Containerd.CtrAsync(
            ["run", "-d", "--snapshotter", SociNode.Snapshotter, "--runc-root", node.Containerd.RuncRoot,
             "--mount", $"type=bind,src={shared},dst=/out,options=rbind:rw", images.Converted, id, "sh", "-c", LoopScript()], ct);
        await WaitForOkAsync(log, 3, node, ct);
        var mounts = node.FuseMounts("soci").Order(StringComparer.Ordinal).ToList();

        if (crash)
        {
            await node.Daemon.KillAsync(ct);
        }
        else
        {
            await node.Daemon.StopAsync(ct);
        }
        // Content must come through the FUSE server again, not from the page cache filled before.
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "1", ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // the gap: the container's reads wait in the kernel
        var okBeforeRestart = CountOk(log);
        await node.Daemon.RestartAsync(ct);
        await node.WaitForProxyAsync(ct);

        await WaitForOkAsync(log, okBeforeRestart + 10, node, ct);
        await File.WriteAllTextAsync(Path.Combine(shared, "stop"), "", ct);
        await WaitForAsync(() => File.ReadAllText(log).Contains("done", StringComparison.Ordinal), log, node, ct);
        var lines = await File.ReadAllLinesAsync(log, ct);
        Assert.True(!lines.Any(l => l.StartsWith("FAIL", StringComparison.Ordinal)), $"the container saw errors:\n{string.Join('\n', lines.Where(l => !l.StartsWith("ok", StringComparison.Ordinal)))}\n{node.Describe()}");
        Assert.Equal(mounts, node.FuseMounts("soci").Order(StringComparer.Ordinal));
        Assert.Contains("Resumed FUSE", node.Daemon.Log, StringComparison.Ordinal);
        Assert.True(node.Daemon.IsRunning, node.Describe());
        await node.Containerd.TryCtrAsync(["task", "kill", "-s", "KILL", id], ct);
    }

    /// <summary>Checks every file's SHA-256 against /out/expected in a loop until /out/stop appears; one line per round in /out/log.</summary>
    private static string LoopScript() => $$"""
        n=0
        while [ ! -e /out/stop ]; do
          n=$((n+1))
          if sha256sum {{string.Join(' ', Files)}} > /tmp/sums 2>&1 && cmp -s /tmp/sums /out/expected; then
            echo "ok $n" >> /out/log
          else
            echo "FAIL $n" >> /out/log; cat /tmp/sums >> /out/log
          fi
          usleep 20000
        done
        echo done >> /out/log
        """;

    private static int CountOk(string log) =>
        File.Exists(log) ? File.ReadLines(log).Count(l => l.StartsWith("ok", StringComparison.Ordinal)) : 0;

    private static Task WaitForOkAsync(string log, int count, LazyNode node, CancellationToken ct) =>
        WaitForAsync(() => CountOk(log) >= count, log, node, ct);

    private static async Task WaitForAsync(Func<bool> condition, string log, LazyNode node, CancellationToken ct)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < limit, $"the container's loop stalled:\n{(File.Exists(log) ? File.ReadAllText(log)[^Math.Min(2000, File.ReadAllText(log).Length)..] : "no log")}\n{node.Describe()}");
            await Task.Delay(100, ct);
        }
    }
}
