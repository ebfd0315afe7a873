using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>
/// The soci backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional). The names follow SOCI's own
/// config.toml where SOCI has the setting (<c>pull_modes.soci_v1.enable</c>, <c>fuse.attr_timeout</c>, ...).
/// </summary>
public sealed record SociBackendOptions : RegistrySettings
{
    /// <summary>Which index versions may be used (SOCI's <c>[pull_modes]</c>).</summary>
    [ConfigurationKeyName("pull_modes")]
    public SociPullModes PullModes { get; init; } = new();

    /// <summary>Kernel cache timeouts of the FUSE mounts (SOCI's <c>[fuse]</c>).</summary>
    [ConfigurationKeyName("fuse")]
    public SociFuseOptions Fuse { get; init; } = new();

    /// <summary>The cache of decompressed spans (SOCI's <c>[directory_cache]</c>, kept in memory here).</summary>
    [ConfigurationKeyName("directory_cache")]
    public SociCacheOptions Cache { get; init; } = new();

    /// <summary>How long on-demand reads wait for the registry (<c>fetch:</c>).</summary>
    [ConfigurationKeyName("fetch")]
    public FetchOptions Fetch { get; init; } = new();

    /// <summary>The local layer store (<c>store:</c>).</summary>
    [ConfigurationKeyName("store")]
    public StoreOptions Store { get; init; } = new();

    /// <summary>Fetching whole layers into the store behind their mounts (<c>background_fill:</c>).</summary>
    [ConfigurationKeyName("background_fill")]
    public BackgroundFillOptions BackgroundFill { get; init; } = new();

    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

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
        if (Store.MaxBytes < 0)
            yield return new("store:max_bytes", $"must be 0 (no limit) or more, not {Store.MaxBytes}");
        foreach (var (key, message) in Fetch.Validate())
            yield return new($"fetch:{key}", message);
        foreach (var (key, message) in BackgroundFill.Validate())
            yield return new($"background_fill:{key}", message);
        foreach (var (key, value) in new[] { ("attr_timeout", Fuse.AttrTimeout), ("entry_timeout", Fuse.EntryTimeout), ("negative_timeout", Fuse.NegativeTimeout) })
        {
            if (value < 0 || !double.IsFinite(value))
                yield return new($"fuse:{key}", $"must be a number of seconds, 0 or more, not {value}");
        }
        foreach (var (key, message) in FindRegistryProblems())
            yield return new(key, message);
    }
}
