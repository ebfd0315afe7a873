using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>
/// Shared by the end-to-end tests (root only): a tmpfs, a loopback registry holding the
/// test images, our daemon with an empty chain (plain overlayfs), and a private
/// containerd that loads it as proxy snapshotter <see cref="Snapshotter"/>.
/// </summary>
public sealed class PullEnvironment : IAsyncLifetime
{
    /// <summary>The proxy plugin name containerd knows the daemon by.</summary>
    public const string Snapshotter = "pluggable";

    /// <summary>What <see cref="BusyboxImage"/> prints.</summary>
    public const string BusyboxMessage = "hello from pluggable-snapshotter\n";

    /// <summary>What <see cref="RpullImage"/> prints.</summary>
    public const string RpullMessage = "hello through ctr-remote rpull\n";

    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private SnapshotterDaemon? _daemon;
    private ContainerdFixture? _containerd;

    /// <summary>The shared tmpfs.</summary>
    public TmpfsDirectory Directory => _directory ?? throw NotStarted();

    /// <summary>The registry.</summary>
    public RegistryFixture Registry => _registry ?? throw NotStarted();

    /// <summary>Our daemon.</summary>
    public SnapshotterDaemon Daemon => _daemon ?? throw NotStarted();

    /// <summary>The private containerd.</summary>
    public ContainerdFixture Containerd => _containerd ?? throw NotStarted();

    /// <summary>Busybox with <see cref="BusyboxMessage"/> in /etc/message.</summary>
    public string BusyboxImage => Registry.Reference("test/busybox", "v1");

    /// <summary>Busybox with <see cref="RpullMessage"/> in /etc/message.</summary>
    public string RpullImage => Registry.Reference("test/rpull", "v1");

    /// <summary>The layered image of <see cref="TestImages.Layered"/>.</summary>
    public string LayeredImage => Registry.Reference("test/layered", "v1");

    /// <summary>The layered image's OCI layout, to unpack with umoci as the reference.</summary>
    public OciImage? LayeredLayout { get; private set; }

    /// <summary>Skipped when not root: the [RootOnlyFact] tests using it are skipped too.</summary>
    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot)
        {
            return;
        }
        var ct = TestContext.Token;
        _directory = await TmpfsDirectory.CreateAsync("e2e", ct);
        _registry = await RegistryFixture.StartAsync(ct, _directory.Path);

        var busybox = await TestImages.Busybox(_directory.Combine("busybox"), BusyboxMessage).BuildAsync("v1", ct);
        await busybox.PushAsync(BusyboxImage, ct);
        var rpull = await TestImages.Busybox(_directory.Combine("rpull"), RpullMessage).BuildAsync("v1", ct);
        await rpull.PushAsync(RpullImage, ct);
        LayeredLayout = await TestImages.Layered(_directory.Combine("layered")).BuildAsync("v1", ct);
        await LayeredLayout.PushAsync(LayeredImage, ct);

        _daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = _directory.Path }, ct);
        _containerd = await ContainerdFixture.StartAsync(
            new ContainerdOptions
            {
                WorkDirectory = _directory.Path,
                ProxySnapshotters = new Dictionary<string, string> { [Snapshotter] = _daemon.Socket },
            },
            ct);
    }

    /// <summary>Everything the servers logged, for assertion messages.</summary>
    public string Describe() =>
        $"{_daemon?.Describe()}\n{_containerd?.Describe()}\n--- docker-registry ---\n{_registry?.Log}";

    /// <summary>Stops containerd, the daemon and the registry; unmounts and removes the tmpfs.</summary>
    public async Task DisposeAsync()
    {
        // Reverse order of start; each step runs even if an earlier one throws.
        try
        {
            if (_containerd is not null)
            {
                await _containerd.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                if (_daemon is not null)
                {
                    await _daemon.DisposeAsync();
                }
            }
            finally
            {
                try
                {
                    if (_registry is not null)
                    {
                        await _registry.DisposeAsync();
                    }
                }
                finally
                {
                    if (_directory is not null)
                    {
                        await _directory.DisposeAsync();
                    }
                }
            }
        }
    }

    private static InvalidOperationException NotStarted() =>
        new("the end-to-end environment was not started (not root?)");
}
