using System.Collections.Concurrent;
using McMaster.NETCore.Plugins;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Passes the load context a plugin's settings check opened (<see cref="PluginSettingsCheck"/>) on to the daemon's real
/// load of the same assembly (<see cref="BackendLoader"/>), so each plugin file is opened in one load context only.
/// </summary>
/// <remarks>
/// The runtime uses an image's ReadyToRun code in the first load context that opens the file only: a second context
/// loading the same path gets the module without it (its ModuleLoad event lacks the ReadyToRun flag) and JIT-compiles
/// every method it runs, which is what a throw-away check context followed by the real one did to every plugin.
/// Each entry is taken once, so two daemons in one process (tests) never share a plugin's context.
/// </remarks>
internal static class PluginLoaderHandoff
{
    private static readonly ConcurrentDictionary<string, PluginLoader> Kept = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="loader"/> for the next load of <paramref name="assemblyPath"/>; an older one kept for it is disposed.</summary>
    public static void Keep(string assemblyPath, PluginLoader loader)
    {
        var key = Path.GetFullPath(assemblyPath);
        PluginLoader? older = null;
        Kept.AddOrUpdate(key, loader, (_, existing) =>
        {
            older = existing;
            return loader;
        });
        if (older is not null && !ReferenceEquals(older, loader))
        {
            older.Dispose();
        }
    }

    /// <summary>The loader kept for <paramref name="assemblyPath"/> if there is one (removed), else a new non-collectible loader.</summary>
    /// <exception cref="InvalidOperationException">The plugin was built against an SDK version this host does not provide.</exception>
    public static PluginLoader TakeOrCreate(string assemblyPath) =>
        Kept.TryRemove(Path.GetFullPath(assemblyPath), out var kept)
            ? kept
            : PluginAssembly.CreateLoader(assemblyPath, unloadable: false);
}
