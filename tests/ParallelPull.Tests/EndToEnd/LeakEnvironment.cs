using PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>
/// For the leak tests (root only): a loopback registry with an image of three layers under <see cref="TagCount"/> tags, a
/// distinct image sharing its busybox layer, and two 16 MB images reached through a gated proxy (GatedProxy),
/// <c>test/slow</c> (chain [parallel-pull]) and <c>test/local</c> (chain [local]); our daemon with both published plugins
/// (SOCI's defaults: blobs kept until their image is cleaned) and a private containerd 1.6.
/// </summary>
public sealed class LeakEnvironment : IAsyncLifetime
{
    public const string Snapshotter = PullRig.Snapshotter;
    public const int TagCount = 8;

    private PullRig? _rig;
    private GatedProxy? _proxy;

    private PullRig Rig => _rig ?? throw new InvalidOperationException("the leak environment was not started (not root?)");
    public GatedProxy Proxy => _proxy ?? throw new InvalidOperationException("the leak environment was not started (not root?)");
    public SnapshotterDaemon Daemon => Rig.Daemon;
    public ContainerdFixture Containerd => Rig.Containerd;

    /// <summary>The same three-layer image (busybox, 12 MB of random bytes, a small file) under tags t1..t8.</summary>
    public IReadOnlyList<string> TaggedImages => [.. Enumerable.Range(1, TagCount).Select(i => Rig.Registry.Reference("test/shared", $"t{i}"))];

    /// <summary>Busybox and 6 MB of other random bytes: shares only the busybox layer with <see cref="TaggedImages"/>.</summary>
    public string DistinctImage => Rig.Registry.Reference("test/distinct", "v1");

    /// <summary>Busybox and 16 MB of random bytes through <see cref="Proxy"/>, pulled by parallel pull.</summary>
    public string SlowParallelImage => $"{Proxy.Host}/test/slow:v1";

    /// <summary>Busybox and 16 MB of other random bytes through <see cref="Proxy"/>, pulled by the local backend.</summary>
    public string SlowLocalImage => $"{Proxy.Host}/test/local:v1";

    public string ParallelPullState => Path.Combine(Daemon.Root, "plugins", "parallel-pull");

    public static string LocalPluginFolder => Path.Combine(RepositoryPaths.Root, "out", "plugins", "local");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = TestContext.Token;
        _rig = await PullRig.StartRegistryAsync("leaks-e2e", ct);
        _proxy = new GatedProxy(Rig.Registry.Port);
        var directory = Rig.Directory;

        var shared = await new TestImageBuilder(directory.Combine("shared")).AddBusyboxLayer()
            .AddLayer(l => l.File("/data/random", RandomBytes(12 << 20, 1)))
            .AddLayer(l => l.File("/etc/message", "shared\n"u8.ToArray()))
            .BuildAsync("v1", ct);
        foreach (var tag in TaggedImages) await shared.PushAsync(tag, ct);
        var distinct = await new TestImageBuilder(directory.Combine("distinct")).AddBusyboxLayer()
            .AddLayer(l => l.File("/data/other", RandomBytes(6 << 20, 2)))
            .BuildAsync("v1", ct);
        await distinct.PushAsync(DistinctImage, ct);
        var slow = await new TestImageBuilder(directory.Combine("slow")).AddBusyboxLayer()
            .AddLayer(l => l.File("/data/random", RandomBytes(16 << 20, 3)))
            .BuildAsync("v1", ct);
        await slow.PushAsync(Rig.Registry.Reference("test/slow", "v1"), ct);
        // Its own bytes: a slow image left by a failed test must not make this one's chain exist already.
        var local = await new TestImageBuilder(directory.Combine("local")).AddBusyboxLayer()
            .AddLayer(l => l.File("/data/random", RandomBytes(16 << 20, 4)))
            .BuildAsync("v1", ct);
        await local.PushAsync(Rig.Registry.Reference("test/local", "v1"), ct);

        if (!File.Exists(Path.Combine(ParallelPullEnvironment.PluginFolder, "PluggableSnapshotter.Plugins.ParallelPull.dll"))
            || !File.Exists(Path.Combine(LocalPluginFolder, "PluggableSnapshotter.Plugins.Local.dll")))
            throw new FileNotFoundException("the parallel-pull and local plugins are not published in out/plugins: run scripts/build.sh");

        await Rig.StartSnapshotterAsync($"""
                plugins:
                  - name: parallel-pull
                    path: {ParallelPullEnvironment.PluginFolder}
                    assembly: PluggableSnapshotter.Plugins.ParallelPull.dll
                  - name: local
                    path: {LocalPluginFolder}
                    assembly: PluggableSnapshotter.Plugins.Local.dll
                chains:
                  - name: local
                    backends: [local]
                    images: ["*/test/local:*"]
                  - name: parallel
                    backends: [parallel-pull]
                default_chain: parallel
                """, ct);
    }

    /// <summary>The root's files now.</summary>
    public RootUsage Usage() => RootUsage.Measure(Daemon.Root);

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

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
