namespace PluggableSnapshotter.Sdk;

/// <summary>One problem with a plugin's <c>settings</c>, at the key it concerns, so the host can point at its line.</summary>
/// <param name="Key">
/// The configuration path of the offending key relative to the plugin's settings section, ':'-separated as
/// <see cref="Microsoft.Extensions.Configuration.IConfigurationSection.Path"/> spells it (<c>directory_cache:max_lru_cache_entry</c>,
/// <c>decompress_streams:gzip:path</c>, <c>insecure_hosts:0</c>); empty for the section as a whole.
/// </param>
/// <param name="Message">What is wrong and, where it helps, what would be right (<c>must be at least 1, not -5</c>).</param>
public sealed record PluginSettingsError(string Key, string Message)
{
    /// <summary>The key as users write it in plugins.yaml: dot-separated (<c>directory_cache.max_lru_cache_entry</c>).</summary>
    public string DisplayKey => Key.Replace(':', '.');

    /// <summary>The key and the message, as one line.</summary>
    public override string ToString() => Key.Length == 0 ? Message : $"{DisplayKey}: {Message}";
}
