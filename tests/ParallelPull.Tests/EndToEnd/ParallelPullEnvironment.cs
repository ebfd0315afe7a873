using PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>
/// Shared by the end-to-end tests (root only): a tmpfs, a loopback registry (and a gated proxy (GatedProxy) in front of it), our
/// daemon with the published parallel-pull plugin and the no-index lazy test plugin, and a private containerd 1.6 that
/// loads the daemon as proxy snapshotter <see cref="Snapshotter"/>. Chains: images under <c>test/fallback</c> go through
/// [no-index-lazy, parallel-pull]; all others through [parallel-pull].
/// </summary>
public sealed class ParallelPullEnvironment : IAsyncLifetime
{
    public const string Snapshotter = PullRig.Snapshotter;
    public const string Message = "pulled in parallel\n";

    private PullRig? _rig;
    private GatedProxy? _proxy;

    private PullRig Rig => _rig ?? throw NotStarted();
    public TmpfsDirectory Directory => Rig.Directory;
    public RegistryFixture Registry => Rig.Registry;
    public GatedProxy Proxy => _proxy ?? throw NotStarted();
    public SnapshotterDaemon Daemon => Rig.Daemon;
    public ContainerdFixture Containerd => Rig.Containerd;

    /// <summary>The layered image (whiteouts, opaque dirs, hard links, devices, xattrs) and its OCI layout.</summary>
    public string LayeredImage => Registry.Reference("test/layered", "v1");

    /// <summary>Busybox with <see cref="Message"/> in /etc/message, pulled through the fallback chain.</summary>
    public string FallbackImage => Registry.Reference("test/fallback", "v1");

    /// <summary>Busybox and 6 MB of random bytes in /data/random, reached through <see cref="Proxy"/> (for pulls a test interrupts).</summary>
    public string GatedImage => $"{Proxy.Host}/test/slow:v1";

    /// <summary>The parallel-pull plugin's state directory in the daemon's root.</summary>
    public string PluginState => Path.Combine(Daemon.Root, "plugins", "parallel-pull");

    /// <summary>Where the no-index plugin records the layers it was asked to mount lazily.</summary>
    public string LazyAskedFile => Path.Combine(Daemon.Root, "plugins", "no-index-lazy", "asked");

    /// <summary>The published plugin: $PSNAP_PARALLEL_PULL_PLUGIN, else out/plugins/parallel-pull (scripts/build.sh).</summary>
    public static string PluginFolder =>
        Environment.GetEnvironmentVariable("PSNAP_PARALLEL_PULL_PLUGIN") is { Length: > 0 } path
            ? path
            : Path.Combine(RepositoryPaths.Root, "out", "plugins", "parallel-pull");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = TestContext.Token;
        _rig = await PullRig.StartRegistryAsync("parallel-e2e", ct);
        _proxy = new GatedProxy(Registry.Port);
        var layered = await TestImages.Layered(Directory.Combine("layered")).BuildAsync("v1", ct);
        await layered.PushAsync(LayeredImage, ct);
        var fallback = await TestImages.Busybox(Directory.Combine("fallback"), Message).BuildAsync("v1", ct);
        await fallback.PushAsync(FallbackImage, ct);
        var random = new byte[6 * 1024 * 1024];
        new Random(7).NextBytes(random);
        var slow = await new TestImageBuilder(Directory.Combine("slow")).AddBusyboxLayer().AddLayer(l => l.File("/data/random", random)).BuildAsync("v1", ct);
        await slow.PushAsync(Registry.Reference("test/slow", "v1"), ct);
        var lazyPlugin = await NoIndexLazyPlugin.BuildAsync(Directory.Combine("lazy-plugin"), ct);
        if (!File.Exists(Path.Combine(PluginFolder, "PluggableSnapshotter.Plugins.ParallelPull.dll")))
            throw new FileNotFoundException($"the parallel-pull plugin is not published in {PluginFolder}: run scripts/build.sh (or set PSNAP_PARALLEL_PULL_PLUGIN)");

        await _rig.StartSnapshotterAsync($"""
                plugins:
                  - name: parallel-pull
                    path: {PluginFolder}
                    assembly: PluggableSnapshotter.Plugins.ParallelPull.dll
                    settings:
                      concurrent_download_chunk_size: 256kb
                      max_concurrent_downloads_per_image: 4
                      max_concurrent_unpacks_per_image: 2
                  - name: no-index-lazy
                    path: {lazyPlugin}
                    assembly: {NoIndexLazyPlugin.AssemblyName}.dll
                chains:
                  - name: fallback
                    backends: [no-index-lazy, parallel-pull]
                    images: ["*/test/fallback:*"]
                  - name: parallel
                    backends: [parallel-pull]
                default_chain: parallel
                """, ct);
    }

    /// <summary>Files left in the plugin's staging and blob directories.</summary>
    public IReadOnlyList<string> Leftovers() =>
        [.. new[] { "staging", "blobs" }.Select(d => Path.Combine(PluginState, d)).Where(System.IO.Directory.Exists)
            .SelectMany(d => System.IO.Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))];

    public string Describe() => _rig?.Describe() ?? "";

    public async Task DisposeAsync()
    {
        try
        {
            if (_rig is not null) await _rig.DisposeAsync();
        }
        finally
        {
            _proxy?.Dispose();
        }
    }

    private static InvalidOperationException NotStarted() => new("the end-to-end environment was not started (not root?)");
}
