using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Settings;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>
/// The soci backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional). The names follow SOCI's own
/// config.toml where SOCI has the setting (<c>pull_modes.soci_v1.enable</c>, <c>fuse.attr_timeout</c>, ...).
/// </summary>
public sealed record SociBackendOptions : LazyBackendOptions
{
    /// <summary>Which index versions may be used (SOCI's <c>[pull_modes]</c>).</summary>
    [ConfigurationKeyName("pull_modes")]
    public SociPullModes PullModes { get; init; } = new();

    /// <summary>The cache of decompressed spans (SOCI's <c>[directory_cache]</c>, kept in memory here).</summary>
    [ConfigurationKeyName("directory_cache")]
    public SociCacheOptions Cache { get; init; } = new();

    /// <summary>Reads the options from a plugin's settings section: unknown keys, unconvertible values and bad ranges are refused.</summary>
    /// <exception cref="PluginSettingsException">Every problem, each at its key.</exception>
    public static SociBackendOptions From(IConfiguration settings) =>
        PluginSettings.Read("soci", settings, s => s.Get<SociBackendOptions>(), o => o.Validate());

    /// <summary>Every problem with these values, each at its key; empty when they are usable.</summary>
    public IEnumerable<PluginSettingsError> Validate()
    {
        if (Cache.MaxLruCacheEntry < 1)
            yield return new("directory_cache:max_lru_cache_entry", $"must be at least 1, not {Cache.MaxLruCacheEntry}");
        if (Cache.MaxBytes < 1)
            yield return new("directory_cache:max_bytes", $"must be at least 1, not {Cache.MaxBytes}");
        if (Cache.ReadaheadSpans < 0)
            yield return new("directory_cache:readahead_spans", $"must be 0 or more, not {Cache.ReadaheadSpans}");
        foreach (var error in ValidateShared()) yield return error;
    }
}
