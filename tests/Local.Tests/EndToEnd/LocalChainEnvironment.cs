using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Local.Tests.EndToEnd;

/// <summary>
/// A tmpfs, a loopback registry holding the layered test image, our daemon whose only chain is the local backend
/// (the published plugin in out/plugins/local), and a private containerd that knows the daemon as <see cref="Snapshotter"/>
/// next to its own overlayfs (root only; needs scripts/build.sh's out/).
/// </summary>
public sealed class LocalChainEnvironment : IAsyncLifetime
{
    public const string Snapshotter = "pluggable";
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private SnapshotterDaemon? _daemon;
    private ContainerdFixture? _containerd;

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token;

    public string LayeredImage => _registry!.Reference("test/layered", "v1");
    public string RegistryHost => _registry!.Host;
    public OciImage LayeredLayout { get; private set; } = null!;
    public ContainerdFixture Containerd => _containerd ?? throw new InvalidOperationException("environment not started (not root?)");
    public TmpfsDirectory Directory => _directory!;

    public static string PluginDirectory => Path.Combine(RepositoryPaths.Root, "out", "plugins", "local");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = Timeout;
        _directory = await TmpfsDirectory.CreateAsync("local-e2e", ct);
        _registry = await RegistryFixture.StartAsync(ct, _directory.Path);
        LayeredLayout = await TestImages.Layered(_directory.Combine("layered")).BuildAsync("v1", ct);
        await LayeredLayout.PushAsync(LayeredImage, ct);
        _daemon = await StartDaemonAsync(_directory.Path, ct);
        _containerd = await ContainerdFixture.StartAsync(new ContainerdOptions
        {
            WorkDirectory = _directory.Path,
            ProxySnapshotters = new Dictionary<string, string> { [Snapshotter] = _daemon.Socket },
        }, ct);
        await WaitForProxyAsync(_containerd, ct);
    }

    /// <summary>
    /// Waits until containerd has a working connection to the daemon: its first gRPC handshake with a just-started daemon
    /// sometimes times out ("timed out waiting for server handshake"), and containerd then reconnects with backoff.
    /// </summary>
    public static async Task WaitForProxyAsync(ContainerdFixture containerd, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await containerd.TryCtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
            if (result.ExitCode == 0) return;
            if (attempt == 20) result.EnsureSuccess();
            await Task.Delay(250, ct);
        }
    }

    /// <summary>Starts a daemon whose only chain is the local backend, working in <paramref name="workDirectory"/>.</summary>
    public static Task<SnapshotterDaemon> StartDaemonAsync(string workDirectory, CancellationToken ct) =>
        SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
        {
            WorkDirectory = workDirectory,
            PluginsYaml = $"""
                plugins:
                  - name: local
                    path: {PluginDirectory}
                    settings: {"{}"}
                chains:
                  - name: default
                    backends: [local]
                default_chain: default
                """,
        }, ct);

    public string Describe() => $"{_daemon?.Describe()}\n{_containerd?.Describe()}\n--- docker-registry ---\n{_registry?.Log}";

    public async Task DisposeAsync()
    {
        try
        {
            if (_containerd is not null) await _containerd.DisposeAsync();
        }
        finally
        {
            try
            {
                if (_daemon is not null) await _daemon.DisposeAsync();
            }
            finally
            {
                try
                {
                    if (_registry is not null) await _registry.DisposeAsync();
                }
                finally
                {
                    if (_directory is not null) await _directory.DisposeAsync();
                }
            }
        }
    }
}
