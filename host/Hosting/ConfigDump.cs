using PluggableSnapshotter.Host.Plugins;
using YamlDotNet.Serialization;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The effective configuration as YAML: every snapshotter option, each plugin's resolved assembly and its settings as
/// the plugin read them (defaults filled in), the chains and the default chain. Valid input for the daemon again.
/// </summary>
internal static class ConfigDump
{
    public static string ToYaml(PluginsConfigReading reading)
    {
        var config = reading.Config;
        var tree = new Dictionary<string, object?>
        {
            ["snapshotter"] = new Dictionary<string, object?>
            {
                ["allow_invalid_mounts_on_restart"] = config.Options.AllowInvalidMountsOnRestart,
                ["parallel_pull_as_fallback"] = config.Options.ParallelPullAsFallback,
                ["parallel_pull_unpack"] = config.Options.ParallelPullUnpack,
                ["asynchronous_remove"] = config.Options.AsynchronousRemove,
                ["min_layer_size"] = config.Options.MinLayerSize,
            },
            ["plugins"] = config.Plugins.Select(p => new Dictionary<string, object?>
            {
                ["name"] = p.Name,
                ["path"] = Path.GetDirectoryName(p.AssemblyPath),
                ["assembly"] = Path.GetFileName(p.AssemblyPath),
                // A plugin that does not read through PluginSettings shows its settings as written.
                ["settings"] = reading.PluginSettings.TryGetValue(p.Name, out var read) ? SettingsTree.From(read) : AsWritten(p.Settings),
            }).ToList(),
            ["chains"] = config.Chains.Select(c => new Dictionary<string, object?>
            {
                ["name"] = c.Name,
                ["backends"] = c.Backends.ToList(),
                ["images"] = c.Images.ToList(),
            }).ToList(),
            ["default_chain"] = config.DefaultChain,
        };
        if (config.MetricsAddress is { } metrics)
        {
            tree["metrics_address"] = metrics.ToString();
        }
        return new SerializerBuilder().Build().Serialize(tree);
    }

    private static SortedDictionary<string, string?> AsWritten(PluginSettingsSection settings) =>
        new(settings.Values.ToDictionary(v => v.Key.Replace(':', '.'), v => v.Value), StringComparer.Ordinal);
}
