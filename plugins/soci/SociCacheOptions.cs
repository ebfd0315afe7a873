using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>The span cache: at most <see cref="MaxLruCacheEntry"/> decompressed spans (each up to the span size, 4 MiB by default).</summary>
public sealed record SociCacheOptions
{
    [ConfigurationKeyName("max_lru_cache_entry")]
    public int MaxLruCacheEntry { get; init; } = 64;
}
