using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>The in-memory cache of decompressed spans shared by every layer read on demand (SOCI's <c>[directory_cache]</c>).</summary>
public sealed record SociCacheOptions
{
    /// <summary>At most this many spans (each up to the span size, 4 MiB by default).</summary>
    [ConfigurationKeyName("max_lru_cache_entry")]
    public int MaxLruCacheEntry { get; init; } = 64;

    /// <summary>
    /// At most this many bytes of decompressed spans, whatever their number. Small: a span that left the cache is
    /// decompressed again from the layer's partial blob on disk, not fetched again.
    /// </summary>
    [ConfigurationKeyName("max_bytes")]
    public long MaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Spans fetched ahead of a file read front to back (0: none).</summary>
    [ConfigurationKeyName("readahead_spans")]
    public int ReadaheadSpans { get; init; } = 2;
}
