using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Fill;
using PluggableSnapshotter.Plugins.Soci.Store;
using PluggableSnapshotter.Registry;

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

    /// <summary>Reads the options from a plugin's settings section and checks them.</summary>
    /// <exception cref="InvalidDataException">A setting is out of range.</exception>
    public static SociBackendOptions From(IConfiguration settings)
    {
        var options = settings.Get<SociBackendOptions>() ?? new SociBackendOptions();
        if (options.Cache.MaxLruCacheEntry < 1)
            throw new InvalidDataException($"soci settings: directory_cache.max_lru_cache_entry must be at least 1 (got {options.Cache.MaxLruCacheEntry})");
        if (options.Cache.MaxBytes < 1)
            throw new InvalidDataException($"soci settings: directory_cache.max_bytes must be at least 1 (got {options.Cache.MaxBytes})");
        if (options.Cache.ReadaheadSpans < 0)
            throw new InvalidDataException($"soci settings: directory_cache.readahead_spans must not be negative (got {options.Cache.ReadaheadSpans})");
        if (options.Store.MaxBytes < 0)
            throw new InvalidDataException($"soci settings: store.max_bytes must not be negative (got {options.Store.MaxBytes})");
        if (options.Fetch.Validate().FirstOrDefault() is { } fetchError)
            throw new InvalidDataException($"soci settings: {fetchError}");
        if (options.BackgroundFill.Validate().FirstOrDefault() is { } fillError)
            throw new InvalidDataException($"soci settings: {fillError}");
        if (options.Fuse.AttrTimeout < 0 || options.Fuse.EntryTimeout < 0 || options.Fuse.NegativeTimeout < 0)
            throw new InvalidDataException("soci settings: fuse timeouts must not be negative");
        return options;
    }
}
