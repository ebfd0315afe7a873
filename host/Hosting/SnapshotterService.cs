using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Startup and shutdown: loads plugins.yaml and the plugins, starts their services, builds the chains and opens the
/// snapshotter (restoring remote snapshots) before the socket is served.
/// </summary>
internal sealed class SnapshotterService(
    DaemonSettings settings,
    PluginsConfig config,
    BackendLoader loader,
    ISnapshotterFactory factory,
    SnapshotterHolder holder,
    FuseKeeperLauncher keeper,
    StartupClock clock,
    PrepareMetrics prepareMetrics,
    ILoggerFactory loggerFactory,
    ILogger<SnapshotterService> logger) : IHostedService
{
    private IReadOnlyList<LoadedPlugin> _plugins = [];
    private ISnapshotter? _snapshotter;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Before any backend mounts: they deposit their FUSE connections with it, or resume the ones it holds.
        await keeper.StartAsync(cancellationToken);
        _plugins = loader.LoadAll(config.Plugins, settings.Root);
        clock.Mark("plugins loaded");
        try
        {
            await OpenAsync(cancellationToken);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        foreach (var plugin in _plugins)
        {
            foreach (var service in plugin.HostedServices)
            {
                HostLog.StartingPluginService(logger, service.GetType().Name, plugin.Name);
                await service.StartAsync(cancellationToken);
            }
        }
        clock.Mark("plugin services started");
        var byName = _plugins.ToDictionary(p => p.Name, p => p.FileSystem);
        var chains = config.Chains
            .Select(c => new Chain(c.Name, c.Backends.Select(b => new ChainBackend(b, byName[b])).ToList(), c.Images.Select(i => new ImagePattern(i)).ToList()))
            .ToList();
        var preparer = new ChainPreparer(chains, config.DefaultChain, config.Options, loggerFactory.CreateLogger<ChainPreparer>(), prepareMetrics);
        foreach (var chain in chains)
        {
            HostLog.ChainConfigured(logger, chain.Name,
                string.Join(", ", chain.Backends.Select(b => b.Name)),
                chain.Name == config.DefaultChain ? "images no other chain matches" : string.Join(", ", chain.Images.Select(i => i.Glob)));
        }
        _snapshotter = await factory.CreateAsync(settings.Root, preparer, config.Options, cancellationToken);
        holder.Set(_snapshotter);
        clock.Mark("snapshotter opened");
        HostLog.SnapshotterReady(logger, settings.Root, settings.Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Remote snapshots stay mounted across a restart only if the backends keep serving; the next start restores them.
        foreach (var service in _plugins.SelectMany(p => p.HostedServices).Reverse())
        {
            await service.StopAsync(cancellationToken);
        }
        if (_snapshotter is not null)
        {
            await _snapshotter.DisposeAsync();
            _snapshotter = null;
        }
        foreach (var plugin in _plugins)
        {
            await plugin.DisposeAsync();
        }
        _plugins = [];
    }
}
