using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Bench.Pull;

/// <summary>
/// Pulls through a fresh private containerd 1.6 (root and state on tmpfs) per run: either with its own overlayfs
/// snapshotter (<c>ctr image pull</c>, one download at a time), or through our daemon with a chain that is only the
/// local backend (<c>ctr-remote image rpull</c>: containerd prepares layer after layer, our daemon fetches and applies each).
/// </summary>
internal sealed class ContainerdPull(string workDirectory, string pluginDirectory) : IAsyncDisposable
{
    public const string Snapshotter = "pluggable";
    private ContainerdFixture? _containerd;
    private SnapshotterDaemon? _daemon;
    private int _runs;

    public async Task StartAsync(bool withDaemon, CancellationToken ct)
    {
        var directory = Directory.CreateDirectory(Path.Combine(workDirectory, $"run-{++_runs}")).FullName;
        var proxies = new Dictionary<string, string>();
        if (withDaemon)
        {
            _daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
            {
                WorkDirectory = directory,
                LogLevel = "warning",
                PluginsYaml = $"""
                    plugins:
                      - name: local
                        path: {pluginDirectory}
                        settings: {"{}"}
                    chains:
                      - name: default
                        backends: [local]
                    default_chain: default
                    """,
            }, ct);
            proxies[Snapshotter] = _daemon.Socket;
        }

        _containerd = await ContainerdFixture.StartAsync(new ContainerdOptions { WorkDirectory = directory, ProxySnapshotters = proxies }, ct);
        if (withDaemon) await WaitForProxyAsync(ct);
    }

    // containerd's first gRPC handshake with a just-started daemon sometimes times out; it reconnects with backoff.
    private async Task WaitForProxyAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await _containerd!.TryCtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
            if (result.ExitCode == 0) return;
            if (attempt == 20) result.EnsureSuccess();
            await Task.Delay(250, ct);
        }
    }

    public Task OverlayfsPullAsync(string reference, CancellationToken ct) =>
        _containerd!.CtrAsync(["image", "pull", "--plain-http", "--max-concurrent-downloads", "1", "--snapshotter", "overlayfs", reference], ct);

    public Task DaemonPullAsync(string reference, CancellationToken ct) =>
        _containerd!.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", Snapshotter, reference], ct);

    public async Task StopAsync()
    {
        if (_containerd is not null) await _containerd.DisposeAsync();
        if (_daemon is not null) await _daemon.DisposeAsync();
        _containerd = null;
        _daemon = null;
        foreach (var run in Directory.EnumerateDirectories(workDirectory, "run-*")) Directory.Delete(run, recursive: true);
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
