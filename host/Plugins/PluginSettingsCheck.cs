using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Asks each plugin whether it accepts its <c>settings</c>, before anything starts: the plugin is opened in its load context
/// (handed on to the daemon's load of it when the check passes, <see cref="PluginLoaderHandoff"/>) and its
/// <see cref="ISnapshotterPlugin.ConfigureServices"/> runs against a scratch service collection (nothing is built or created). A <see cref="PluginSettingsException"/> becomes one error per key, at the key's line;
/// any other failure names the plugin with the reason, at its entry's line.
/// </summary>
internal static class PluginSettingsCheck
{
    /// <summary>Checks every plugin of <paramref name="reading"/> and adds what it finds to its errors.</summary>
    /// <param name="reading">plugins.yaml as read.</param>
    /// <param name="snapshotterRoot">The root the daemon would use; shown to the plugin, not created.</param>
    /// <returns>The settings object each plugin read through <see cref="PluginSettings.Read{T}"/>, by plugin name, defaults filled in.</returns>
    public static IReadOnlyDictionary<string, object> Run(PluginsConfigReading reading, string snapshotterRoot)
    {
        var effective = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var entry in reading.Config.Plugins)
        {
            Check(entry, snapshotterRoot, reading.Errors, effective);
        }
        return effective;
    }

    private static void Check(PluginEntry entry, string snapshotterRoot, ConfigErrors errors, Dictionary<string, object> effective)
    {
        PluginLoader? loader = null;
        try
        {
            // Not collectible, and handed on to the daemon's own load of the plugin once the check passes: the runtime
            // uses an image's ReadyToRun code in the first load context that opens the file only (PluginLoaderHandoff),
            // and JIT-compiling the plugin and its configuration binder cost ~0.45 s of start-up for three plugins (bench/startup).
            loader = PluginAssembly.CreateLoader(entry.AssemblyPath, unloadable: false);
            var plugin = PluginAssembly.CreatePlugin(loader, out _);
            var context = new PluginContext
            {
                Name = entry.Name,
                Settings = PluginAssembly.Settings(entry),
                SnapshotterRoot = snapshotterRoot,
                StateDirectory = Path.Combine(snapshotterRoot, "plugins", entry.Name),
            };
            var read = PluginSettings.Capture(() => plugin.ConfigureServices(new ServiceCollection(), context));
            if (read.Count == 1)
            {
                effective[entry.Name] = read[0];
            }
            PluginLoaderHandoff.Keep(entry.AssemblyPath, loader);
            loader = null;
        }
        catch (PluginSettingsException e)
        {
            foreach (var error in e.Errors)
            {
                var where = error.Key.Length == 0 ? "settings" : $"settings.{error.DisplayKey}";
                errors.Add(entry.Settings.LineOf(error.Key), $"plugin '{entry.Name}': {where}: {error.Message}");
            }
        }
        catch (Exception e)
        {
            // A plugin that cannot even be opened is a configuration problem too (wrong folder, broken build).
            errors.Add(entry.Line, $"plugin '{entry.Name}' ({entry.AssemblyPath}): {PluginAssembly.Describe(e)}");
        }
        finally
        {
            loader?.Dispose();
        }
    }
}
