using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.TestSupport.Containerd;

/// <summary>
/// What every end-to-end pull test stands on (root only): a tmpfs, a loopback registry, our daemon with a given
/// plugins.yaml and a private containerd that knows it as <see cref="Snapshotter"/>. Started in two steps, so a test can
/// push images and build plugins before the daemon starts; disposed in reverse order, each step even if one fails.
/// </summary>
public sealed class PullRig : IAsyncDisposable
{
    /// <summary>The proxy plugin name containerd knows the daemon by.</summary>
    public const string Snapshotter = "pluggable";

    private SnapshotterDaemon? _daemon;
    private ContainerdFixture? _containerd;

    private PullRig(TmpfsDirectory directory, RegistryFixture registry)
    {
        Directory = directory;
        Registry = registry;
    }

    /// <summary>The rig's tmpfs.</summary>
    public TmpfsDirectory Directory { get; }

    /// <summary>The loopback registry.</summary>
    public RegistryFixture Registry { get; }

    /// <summary>Our daemon, once <see cref="StartSnapshotterAsync"/> ran.</summary>
    public SnapshotterDaemon Daemon => _daemon ?? throw new InvalidOperationException("the snapshotter is not started");

    /// <summary>The private containerd, once <see cref="StartSnapshotterAsync"/> ran.</summary>
    public ContainerdFixture Containerd => _containerd ?? throw new InvalidOperationException("containerd is not started");

    /// <summary>Mounts the tmpfs (named after <paramref name="purpose"/>) and starts the registry on it.</summary>
    public static async Task<PullRig> StartRegistryAsync(string purpose, CancellationToken cancellationToken)
    {
        var directory = await TmpfsDirectory.CreateAsync(purpose, cancellationToken);
        try
        {
            return new PullRig(directory, await RegistryFixture.StartAsync(cancellationToken, directory.Path));
        }
        catch
        {
            await directory.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the daemon with <paramref name="pluginsYaml"/> (null: a plain overlayfs snapshotter) and containerd, and waits until they talk.</summary>
    public async Task StartSnapshotterAsync(string? pluginsYaml, CancellationToken cancellationToken)
    {
        var options = new SnapshotterDaemonOptions { WorkDirectory = Directory.Path };
        _daemon = await SnapshotterDaemon.StartAsync(pluginsYaml is null ? options : options with { PluginsYaml = pluginsYaml }, cancellationToken);
        _containerd = await ContainerdFixture.StartAsync(new ContainerdOptions
        {
            WorkDirectory = Directory.Path,
            ProxySnapshotters = new Dictionary<string, string> { [Snapshotter] = _daemon.Socket },
        }, cancellationToken);
        await _containerd.WaitForSnapshotterAsync(Snapshotter, cancellationToken);
    }

    /// <summary>Everything the servers logged, for assertion messages.</summary>
    public string Describe() => $"{_daemon?.Describe()}\n{_containerd?.Describe()}\n--- docker-registry ---\n{Registry.Log}";

    /// <summary>Stops containerd, the daemon and the registry; unmounts and removes the tmpfs.</summary>
    public async ValueTask DisposeAsync()
    {
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
                    await Registry.DisposeAsync();
                }
                finally
                {
                    await Directory.DisposeAsync();
                }
            }
        }
    }
}
