using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>
/// Shared by the end-to-end tests (root only): a tmpfs, a loopback registry holding the
/// test images, our daemon with an empty chain (plain overlayfs), and a private
/// containerd that loads it as proxy snapshotter <see cref="Snapshotter"/>.
/// </summary>
public sealed class PullEnvironment : IAsyncLifetime
{
    /// <summary>The proxy plugin name containerd knows the daemon by.</summary>
    public const string Snapshotter = PullRig.Snapshotter;

    /// <summary>What <see cref="BusyboxImage"/> prints.</summary>
    public const string BusyboxMessage = "hello from pluggable-snapshotter\n";

    /// <summary>What <see cref="RpullImage"/> prints.</summary>
    public const string RpullMessage = "hello through ctr-remote rpull\n";

    private PullRig? _rig;

    private PullRig Rig => _rig ?? throw new InvalidOperationException("the end-to-end environment was not started (not root?)");

    /// <summary>The shared tmpfs.</summary>
    public TestSupport.Mounts.TmpfsDirectory Directory => Rig.Directory;

    /// <summary>Our daemon.</summary>
    public TestSupport.Snapshotter.SnapshotterDaemon Daemon => Rig.Daemon;

    /// <summary>The private containerd.</summary>
    public ContainerdFixture Containerd => Rig.Containerd;

    /// <summary>Busybox with <see cref="BusyboxMessage"/> in /etc/message.</summary>
    public string BusyboxImage => Rig.Registry.Reference("test/busybox", "v1");

    /// <summary>Busybox with <see cref="RpullMessage"/> in /etc/message.</summary>
    public string RpullImage => Rig.Registry.Reference("test/rpull", "v1");

    /// <summary>The layered image of <see cref="TestImages.Layered"/>.</summary>
    public string LayeredImage => Rig.Registry.Reference("test/layered", "v1");

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
        _rig = await PullRig.StartRegistryAsync("e2e", ct);
        var busybox = await TestImages.Busybox(Directory.Combine("busybox"), BusyboxMessage).BuildAsync("v1", ct);
        await busybox.PushAsync(BusyboxImage, ct);
        var rpull = await TestImages.Busybox(Directory.Combine("rpull"), RpullMessage).BuildAsync("v1", ct);
        await rpull.PushAsync(RpullImage, ct);
        LayeredLayout = await TestImages.Layered(Directory.Combine("layered")).BuildAsync("v1", ct);
        await LayeredLayout.PushAsync(LayeredImage, ct);
        await _rig.StartSnapshotterAsync(pluginsYaml: null, ct);
    }

    /// <summary>Everything the servers logged, for assertion messages.</summary>
    public string Describe() => _rig?.Describe() ?? "";

    /// <summary>Stops containerd, the daemon and the registry; unmounts and removes the tmpfs.</summary>
    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }
}
