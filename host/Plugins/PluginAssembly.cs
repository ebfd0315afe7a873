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
/// Opens a plugin's assembly in its own AssemblyLoadContext and creates its <see cref="ISnapshotterPlugin"/>. Only the SDK
/// and the Microsoft.Extensions abstractions are shared with the host; everything else the plugin ships stays private.
/// </summary>
internal static class PluginAssembly
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

    /// <summary>A loader for <paramref name="assemblyPath"/>; <paramref name="unloadable"/> for a look that is thrown away (settings checks).</summary>
    /// <exception cref="InvalidOperationException">The plugin was built against an SDK version this host does not provide.</exception>
    public static PluginLoader CreateLoader(string assemblyPath, bool unloadable)
    {
        SdkCompatibility.Check(assemblyPath);
        return PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config =>
        {
            config.PreferSharedTypes = false;
            config.IsUnloadable = unloadable;
        });
    }

    /// <summary>Creates the one public <see cref="ISnapshotterPlugin"/> class of the loader's assembly.</summary>
    /// <exception cref="InvalidOperationException">There is none, or more than one.</exception>
    public static ISnapshotterPlugin CreatePlugin(PluginLoader loader, out Type entryType)
    {
        entryType = FindEntryType(loader.LoadDefaultAssembly());
        return (ISnapshotterPlugin)Activator.CreateInstance(entryType)!;
    }

    /// <summary>The plugin's settings as configuration.</summary>
    public static IConfiguration Settings(PluginEntry entry) =>
        new ConfigurationBuilder().AddInMemoryCollection(entry.Settings.Values).Build();

    /// <summary>The reason a plugin failed, without the reflection wrappers.</summary>
    public static string Describe(Exception e) => e switch
    {
        TargetInvocationException { InnerException: { } inner } => Describe(inner),
        _ => e.Message,
    };

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
}
