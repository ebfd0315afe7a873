using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Loads each backend plugin from its folder into its own AssemblyLoadContext (<see cref="PluginAssembly"/>) and builds
/// its services: the <see cref="IFileSystem"/> it registers and its hosted services.
/// </summary>
internal sealed class BackendLoader(ILoggerFactory loggerFactory, TimeProvider time)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<BackendLoader>();

    /// <summary>Loads every plugin; a plugin that fails is named in the error, with the reason.</summary>
    /// <exception cref="PluginLoadException">One or more plugins could not be loaded.</exception>
    public IReadOnlyList<LoadedPlugin> LoadAll(IReadOnlyList<PluginEntry> entries, string snapshotterRoot)
    {
        var loaded = new List<LoadedPlugin>();
        var failures = new List<string>();
        foreach (var entry in entries)
        {
            try
            {
                loaded.Add(Load(entry, snapshotterRoot));
            }
            catch (Exception e)
            {
                failures.Add($"plugin '{entry.Name}' ({entry.AssemblyPath}): {PluginAssembly.Describe(e)}");
            }
        }
        if (failures.Count > 0)
        {
            foreach (var plugin in loaded)
            {
                plugin.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            throw new PluginLoadException(failures);
        }
        return loaded;
    }

    private LoadedPlugin Load(PluginEntry entry, string snapshotterRoot)
    {
        // The context the settings check opened, if any: a second context for the same file would run without its
        // ReadyToRun code (PluginLoaderHandoff).
        var loader = PluginLoaderHandoff.TakeOrCreate(entry.AssemblyPath);
        try
        {
            var plugin = PluginAssembly.CreatePlugin(loader, out var entryType);
            var context = new PluginContext
            {
                Name = entry.Name,
                Settings = PluginAssembly.Settings(entry),
                SnapshotterRoot = snapshotterRoot,
                StateDirectory = Directory.CreateDirectory(Path.Combine(snapshotterRoot, "plugins", entry.Name)).FullName,
                // Lives as long as the daemon, as the plugin does (plugins are never unloaded).
                Meter = PluginMeters.Create(entry.Name),
            };
            var services = new ServiceCollection();
            services.AddSingleton(loggerFactory);
            services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            services.AddSingleton(time);
            services.AddSingleton(context);
            services.AddSingleton(context.Meter); // plugins may take the Meter itself (not disposed by the provider: it outlives it)
            plugin.ConfigureServices(services, context);

            var registrations = services.Count(d => d.ServiceType == typeof(IFileSystem));
            if (registrations != 1)
            {
                throw new InvalidOperationException($"{entryType.FullName} must register exactly one {nameof(IFileSystem)}; it registered {registrations}");
            }
            var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            var fileSystem = provider.GetRequiredService<IFileSystem>();
            var hostedServices = provider.GetServices<IHostedService>().ToList();
            HostLog.PluginLoaded(_logger, entry.Name, entry.AssemblyPath, fileSystem.Capabilities);
            return new LoadedPlugin(entry.Name, fileSystem, hostedServices, provider, loader);
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }
}
