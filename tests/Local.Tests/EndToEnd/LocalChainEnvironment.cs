using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Local.Tests.EndToEnd;

/// <summary>
/// A tmpfs, a loopback registry holding the layered test image, our daemon whose only chain is the local backend
/// (the published plugin in out/plugins/local), and a private containerd that knows the daemon as <see cref="Snapshotter"/>
/// next to its own overlayfs (root only; needs scripts/build.sh's out/).
/// </summary>
public sealed class LocalChainEnvironment : IAsyncLifetime
{
    public const string Snapshotter = PullRig.Snapshotter;
    private PullRig? _rig;

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token;

    private PullRig Rig => _rig ?? throw new InvalidOperationException("environment not started (not root?)");
    public string LayeredImage => Rig.Registry.Reference("test/layered", "v1");
    public string RegistryHost => Rig.Registry.Host;
    public OciImage LayeredLayout { get; private set; } = null!;
    public ContainerdFixture Containerd => Rig.Containerd;
    public TmpfsDirectory Directory => Rig.Directory;

    public static string PluginDirectory => Path.Combine(RepositoryPaths.Root, "out", "plugins", "local");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = Timeout;
        _rig = await PullRig.StartRegistryAsync("local-e2e", ct);
        LayeredLayout = await TestImages.Layered(Directory.Combine("layered")).BuildAsync("v1", ct);
        await LayeredLayout.PushAsync(LayeredImage, ct);
        await _rig.StartSnapshotterAsync(PluginsYaml, ct);
    }

    /// <summary>Starts a daemon whose only chain is the local backend, working in <paramref name="workDirectory"/>.</summary>
    public static Task<SnapshotterDaemon> StartDaemonAsync(string workDirectory, CancellationToken ct) =>
        SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = workDirectory, PluginsYaml = PluginsYaml }, ct);

    private static string PluginsYaml => $"""
                plugins:
                  - name: local
                    path: {PluginDirectory}
                    settings: {"{}"}
                chains:
                  - name: default
                    backends: [local]
                default_chain: default
                """;

    public string Describe() => _rig?.Describe() ?? "";

    public async Task DisposeAsync()
    {
        if (_rig is not null) await _rig.DisposeAsync();
    }
}
