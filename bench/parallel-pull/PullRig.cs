using System.Diagnostics;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Bench.ParallelPull;

/// <summary>How an image is pulled in one measurement.</summary>
internal enum PullMode
{
    /// <summary>containerd's own overlayfs snapshotter (<c>ctr image pull</c>).</summary>
    Overlayfs,

    /// <summary>Our daemon with the chain [local] (<c>ctr-remote image rpull</c>).</summary>
    Local,

    /// <summary>Our daemon with the chain [parallel-pull] (<c>ctr-remote image rpull</c>).</summary>
    ParallelPull,
}

/// <summary>One measured pull: wall time and the CPU seconds of ctr, containerd and our daemon together.</summary>
internal readonly record struct PullSample(TimeSpan Wall, double CpuSeconds);

/// <summary>
/// A fresh private containerd 1.6 (root and state on tmpfs), and our daemon when the mode needs it, per run; the pull is
/// timed until the client returns, which for rpull is when the last layer is committed.
/// </summary>
internal sealed class PullRig(string workDirectory, string repositoryRoot, IReadOnlyDictionary<string, string> parallelSettings, bool showDaemonLog)
{
    public const string Snapshotter = "pluggable";
    private int _runs;

    public async Task<PullSample> PullAsync(PullMode mode, string reference, CancellationToken ct)
    {
        var directory = Directory.CreateDirectory(Path.Combine(workDirectory, $"run-{++_runs}")).FullName;
        SnapshotterDaemon? daemon = null;
        ContainerdFixture? containerd = null;
        try
        {
            var proxies = new Dictionary<string, string>();
            if (mode != PullMode.Overlayfs)
            {
                daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
                {
                    WorkDirectory = directory,
                    LogLevel = showDaemonLog ? "information" : "warning",
                    PluginsYaml = PluginsYaml(mode),
                }, ct);
                proxies[Snapshotter] = daemon.Socket;
            }

            containerd = await ContainerdFixture.StartAsync(new ContainerdOptions { WorkDirectory = directory, ProxySnapshotters = proxies }, ct);
            if (daemon is not null) await WaitForProxyAsync(containerd, ct);
            string[] markers = [Path.Combine(directory, "ctd", "config.toml"), Path.Combine(directory, "psnap")];
            var cpuBefore = CpuClock.Seconds(markers);
            var started = Stopwatch.GetTimestamp();
            if (mode == PullMode.Overlayfs)
                await containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", reference], ct);
            else
                await containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", Snapshotter, reference], ct);
            var wall = Stopwatch.GetElapsedTime(started);
            var cpu = CpuClock.Seconds(markers) - cpuBefore;
            if (daemon is not null) await CheckServedByAsync(containerd, mode, ct);
            if (daemon is not null && showDaemonLog) Console.WriteLine($"--- daemon log ({mode}) ---\n{daemon.Log}");
            return new PullSample(wall, cpu);
        }
        finally
        {
            if (containerd is not null) await containerd.DisposeAsync();
            if (daemon is not null) await daemon.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private string PluginsYaml(PullMode mode)
    {
        var settings = string.Join("\n", parallelSettings.Select(s => $"          {s.Key}: {s.Value}"));
        return $"""
            plugins:
              - name: local
                path: {Path.Combine(repositoryRoot, "out", "plugins", "local")}
                assembly: PluggableSnapshotter.Plugins.Local.dll
              - name: parallel-pull
                path: {Path.Combine(repositoryRoot, "out", "plugins", "parallel-pull")}
                assembly: PluggableSnapshotter.Plugins.ParallelPull.dll
                settings:
            {settings}
            chains:
              - name: bench
                backends: [{(mode == PullMode.Local ? "local" : "parallel-pull")}]
            default_chain: bench
            """;
    }

    // A measurement only counts when our backend, not containerd, unpacked the layers.
    private static async Task CheckServedByAsync(ContainerdFixture containerd, PullMode mode, CancellationToken ct)
    {
        var listing = await containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
        var name = listing.StandardOutput.Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(p => p.Length > 0)[0];
        var info = await containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "info", name], ct);
        var role = mode == PullMode.Local ? "\"local\"" : "\"parallel\"";
        if (!info.StandardOutput.Contains(role, StringComparison.Ordinal))
            throw new InvalidOperationException($"snapshot {name} was not prepared by the {mode} backend:\n{info.StandardOutput}");
    }

    // containerd's first gRPC handshake with a just-started daemon sometimes times out; it reconnects with backoff.
    private static async Task WaitForProxyAsync(ContainerdFixture containerd, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await containerd.TryCtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
            if (result.ExitCode == 0) return;
            if (attempt == 20) throw new InvalidOperationException($"containerd cannot reach our daemon: {result.StandardError}");
            await Task.Delay(250, ct);
        }
    }
}
