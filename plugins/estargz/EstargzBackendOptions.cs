using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Settings;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>The estargz backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional).</summary>
public sealed record EstargzBackendOptions : LazyBackendOptions
{
    /// <summary>Prefetch of the later layers' TOCs and of the landmark section of optimized images.</summary>
    [ConfigurationKeyName("prefetch")]
    public EstargzPrefetchOptions Prefetch { get; init; } = new();

    /// <summary>
    /// Check the TOC against the layer's TOC digest and every chunk against its digest. Off serves unverified bytes (and
    /// legacy stargz layers, which carry no digests); the daemon logs a warning at every mount.
    /// </summary>
    [ConfigurationKeyName("verify")]
    public bool Verify { get; init; } = true;

    [ConfigurationKeyName("chunk_cache")]
    public EstargzCacheOptions Cache { get; init; } = new();

    /// <summary>Reads the options from a plugin's settings section: unknown keys, unconvertible values and bad ranges are refused.</summary>
    /// <exception cref="PluginSettingsException">Every problem, each at its key.</exception>
    public static EstargzBackendOptions From(IConfiguration settings) =>
        PluginSettings.Read("estargz", settings, s => s.Get<EstargzBackendOptions>(), o => o.Validate());

    /// <summary>Every problem with these values, each at its key; empty when they are usable.</summary>
    public IEnumerable<PluginSettingsError> Validate()
    {
        if (Prefetch.TimeoutMilliseconds < 1)
            yield return new("prefetch:timeout_ms", $"must be positive, not {Prefetch.TimeoutMilliseconds}");
        if (Prefetch.TocMaxBytes < 0)
            yield return new("prefetch:toc_max_bytes", $"must be 0 or more, not {Prefetch.TocMaxBytes}");
        if (Cache.MaxEntries < 1)
            yield return new("chunk_cache:max_entries", $"must be at least 1, not {Cache.MaxEntries}");
        if (Cache.MaxBytes < 1)
            yield return new("chunk_cache:max_bytes", $"must be at least 1, not {Cache.MaxBytes}");
        if (Cache.ReadBytes is < 4096 or > 64L * 1024 * 1024)
            yield return new("chunk_cache:read_bytes", $"must be between 4096 and 67108864, not {Cache.ReadBytes}");
        if (Cache.ReadaheadGroups < 0)
            yield return new("chunk_cache:readahead_groups", $"must be 0 or more, not {Cache.ReadaheadGroups}");
        foreach (var error in ValidateShared()) yield return error;
    }
}
