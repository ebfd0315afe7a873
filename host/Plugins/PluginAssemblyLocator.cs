namespace PluggableSnapshotter.Host.Plugins;

/// <summary>Finds a plugin's main assembly in its folder: the one named in plugins.yaml, else the folder's one application.</summary>
internal static class PluginAssemblyLocator
{
    /// <summary>The absolute path of the assembly, or null with the reason in <paramref name="problem"/>.</summary>
    public static string? Locate(string name, string folder, string? assembly, out string? problem)
    {
        problem = null;
        if (!Directory.Exists(folder))
        {
            problem = $"plugin '{name}': folder {folder} does not exist (build the plugin, e.g. scripts/build.sh)";
            return null;
        }
        if (assembly is not null)
        {
            var file = Path.Combine(folder, assembly);
            if (!File.Exists(file))
            {
                problem = $"plugin '{name}': assembly {file} does not exist";
                return null;
            }
            return file;
        }
        // Without an explicit assembly, the folder's one application (the one with a .deps.json) is the plugin.
        var candidates = Directory.GetFiles(folder, "*.deps.json");
        if (candidates.Length != 1)
        {
            problem = $"plugin '{name}': set 'assembly' (found {candidates.Length} *.deps.json files in {folder})";
            return null;
        }
        return candidates[0][..^".deps.json".Length] + ".dll";
    }
}
