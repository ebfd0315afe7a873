namespace PluggableSnapshotter.Host.Plugins;

/// <summary>plugins.yaml as read: what was valid, and every problem found (in the host's sections and, once checked, in the plugins' settings).</summary>
/// <param name="Path">The file's absolute path.</param>
/// <param name="Config">The configuration; with errors, only what was valid (plugins whose assembly was found, ...).</param>
/// <param name="Errors">The problems found so far; more are added by <see cref="PluginSettingsCheck"/>.</param>
internal sealed record PluginsConfigReading(string Path, PluginsConfig Config, ConfigErrors Errors)
{
    /// <summary>Each plugin's settings as it read them (defaults filled in), once checked; by plugin name.</summary>
    public IReadOnlyDictionary<string, object> PluginSettings { get; init; } = new Dictionary<string, object>();

    /// <summary>The configuration, if no problem was found.</summary>
    /// <exception cref="PluginsConfigException">Every problem, with its line.</exception>
    public PluginsConfig OrThrow() => Errors.Count == 0 ? Config : throw new PluginsConfigException(Path, Errors.ToList());
}
