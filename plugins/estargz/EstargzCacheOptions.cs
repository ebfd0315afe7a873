using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>Decompressed, verified read groups kept in memory for every layer read on demand (<c>chunk_cache:</c>).</summary>
public sealed record EstargzCacheOptions
{
    [ConfigurationKeyName("max_entries")]
    public int MaxEntries { get; init; } = 256;

    [ConfigurationKeyName("max_bytes")]
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Compressed bytes one range request may cover: consecutive chunks (small files are a gzip member each) are fetched
    /// together up to this much. A larger chunk is fetched alone.
    /// </summary>
    [ConfigurationKeyName("read_bytes")]
    public long ReadBytes { get; init; } = 1024 * 1024;

    /// <summary>Read groups fetched ahead of a read front to back (0: none).</summary>
    [ConfigurationKeyName("readahead_groups")]
    public int ReadaheadGroups { get; init; } = 2;
}
