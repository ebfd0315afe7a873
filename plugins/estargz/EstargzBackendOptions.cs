using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>The estargz backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional).</summary>
public sealed record EstargzBackendOptions : RegistrySettings
{
    /// <summary>Prefetch of the landmark section of optimized images.</summary>
    [ConfigurationKeyName("prefetch")]
    public EstargzPrefetchOptions Prefetch { get; init; } = new();

    /// <summary>
    /// Check the TOC against the layer's TOC digest and every chunk against its digest. Off serves unverified bytes (and
    /// legacy stargz layers, which carry no digests); the daemon logs a warning at every mount.
    /// </summary>
    [ConfigurationKeyName("verify")]
    public bool Verify { get; init; } = true;

    [ConfigurationKeyName("fuse")]
    public EstargzFuseOptions Fuse { get; init; } = new();

    [ConfigurationKeyName("chunk_cache")]
    public EstargzCacheOptions Cache { get; init; } = new();

    /// <summary>How long on-demand reads wait for the registry (<c>fetch:</c>, as for soci).</summary>
    [ConfigurationKeyName("fetch")]
    public FetchOptions Fetch { get; init; } = new();

    /// <summary>The local layer store (<c>store:</c>, as for soci; this plugin's own).</summary>
    [ConfigurationKeyName("store")]
    public StoreOptions Store { get; init; } = new();

    /// <summary>Fetching whole layers into the store behind their mounts (<c>background_fill:</c>, as for soci).</summary>
    [ConfigurationKeyName("background_fill")]
    public BackgroundFillOptions BackgroundFill { get; init; } = new();

    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

    /// <summary>Reads the options from a plugin's settings section: unknown keys, unconvertible values and bad ranges are refused.</summary>
    /// <exception cref="PluginSettingsException">Every problem, each at its key.</exception>
    public static EstargzBackendOptions From(IConfiguration settings) =>
        PluginSettings.Read("estargz", settings, s => s.Get<EstargzBackendOptions>(), o => o.Validate());

    /// <summary>Every problem with these values, each at its key; empty when they are usable.</summary>
    public IEnumerable<PluginSettingsError> Validate()
    {
        if (Prefetch.TimeoutMilliseconds < 1)
            yield return new("prefetch:timeout_ms", $"must be positive, not {Prefetch.TimeoutMilliseconds}");
        if (Cache.MaxEntries < 1)
            yield return new("chunk_cache:max_entries", $"must be at least 1, not {Cache.MaxEntries}");
        if (Cache.MaxBytes < 1)
            yield return new("chunk_cache:max_bytes", $"must be at least 1, not {Cache.MaxBytes}");
        if (Cache.ReadBytes is < 4096 or > 64L * 1024 * 1024)
            yield return new("chunk_cache:read_bytes", $"must be between 4096 and 67108864, not {Cache.ReadBytes}");
        if (Cache.ReadaheadGroups < 0)
            yield return new("chunk_cache:readahead_groups", $"must be 0 or more, not {Cache.ReadaheadGroups}");
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
