using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Loads each backend plugin from its folder into its own AssemblyLoadContext. Only the SDK and the Microsoft.Extensions
/// abstractions are shared with the host; everything else the plugin ships (and its versions) stays private to it.
/// </summary>
internal sealed class BackendLoader(ILoggerFactory loggerFactory, TimeProvider time)
{
    // The types whose assemblies are shared: the contract, and the abstractions its signatures use.
    private static readonly Type[] SharedTypes =
    [
        typeof(IFileSystem),
        typeof(IServiceCollection),
        typeof(ILogger),
        typeof(IConfiguration),
        typeof(IChangeToken),
        typeof(IHostedService),
    ];

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
                failures.Add($"plugin '{entry.Name}' ({entry.AssemblyPath}): {Describe(e)}");
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
        var loader = PluginLoader.CreateFromAssemblyFile(entry.AssemblyPath, SharedTypes, config =>
        {
            config.PreferSharedTypes = false;
            config.IsUnloadable = false;
        });
        try
        {
            var assembly = loader.LoadDefaultAssembly();
            var entryType = FindEntryType(assembly);
            var plugin = (ISnapshotterPlugin)Activator.CreateInstance(entryType)!;

            var context = new PluginContext
            {
                Name = entry.Name,
                Settings = new ConfigurationBuilder().AddInMemoryCollection(entry.Settings).Build(),
                SnapshotterRoot = snapshotterRoot,
                StateDirectory = Directory.CreateDirectory(Path.Combine(snapshotterRoot, "plugins", entry.Name)).FullName,
            };
            var services = new ServiceCollection();
            services.AddSingleton(loggerFactory);
            services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            services.AddSingleton(time);
            services.AddSingleton(context);
            plugin.ConfigureServices(services, context);

            var registrations = services.Count(d => d.ServiceType == typeof(IFileSystem));
            if (registrations != 1)
            {
                throw new InvalidOperationException($"{entryType.FullName} must register exactly one {nameof(IFileSystem)}; it registered {registrations}");
            }
            var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            var fileSystem = provider.GetRequiredService<IFileSystem>();
            var hostedServices = provider.GetServices<IHostedService>().ToList();
            _logger.LogInformation("loaded plugin {Plugin} from {Assembly} ({Capabilities})", entry.Name, entry.AssemblyPath, fileSystem.Capabilities);
            return new LoadedPlugin(entry.Name, fileSystem, hostedServices, provider, loader);
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }

    private static Type FindEntryType(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            throw new InvalidOperationException($"cannot read the types of {assembly.GetName().Name}: {e.LoaderExceptions.FirstOrDefault()?.Message}", e);
        }
        var candidates = types.Where(t => typeof(ISnapshotterPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new InvalidOperationException($"{assembly.GetName().Name} has no public class implementing {nameof(ISnapshotterPlugin)}"),
            _ => throw new InvalidOperationException($"{assembly.GetName().Name} has {candidates.Count} classes implementing {nameof(ISnapshotterPlugin)}: {string.Join(", ", candidates.Select(c => c.FullName))}"),
        };
    }

    private static string Describe(Exception e) => e switch
    {
        TargetInvocationException { InnerException: { } inner } => Describe(inner),
        FileNotFoundException f => $"{f.Message}",
        _ => e.Message,
    };
}
