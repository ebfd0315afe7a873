using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Fill;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>The in-memory cache of decompressed spans shared by every layer read on demand (SOCI's <c>[directory_cache]</c>).</summary>
public sealed record SociCacheOptions
{
    /// <summary>At most this many spans (each up to the span size, 4 MiB by default).</summary>
    [ConfigurationKeyName("max_lru_cache_entry")]
    public int MaxLruCacheEntry { get; init; } = 64;

    /// <summary>
    /// At most this many bytes of decompressed spans, whatever their number. Small: a span that left the cache is read
    /// from the layer's decompressed spans on disk where they are kept (<see cref="KeepDecompressed"/>), else it is
    /// decompressed again (and the page cache holds what readers read).
    /// </summary>
    [ConfigurationKeyName("max_bytes")]
    public long MaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// Keep each decompressed span on disk beside the layer's partial blob (<c>tar.partial</c>, counted in
    /// <c>store.max_bytes</c>, deleted once the layer is local), so a span is decompressed once per layer. Off: none
    /// is; a span that left the memory cache is decompressed again from the partial blob (less disk, more CPU). Unset
    /// (the default): every span where no fill will soon make the layer local (<see cref="KeepsDecompressed"/>),
    /// elsewhere only a span decompressed a second time (it left the memory cache and was read again: files read out
    /// of the layer's tar order), so that none is decompressed three times.
    /// </summary>
    [ConfigurationKeyName("keep_decompressed")]
    public bool? KeepDecompressed { get; init; }

    /// <summary>
    /// Whether every decompressed span of a layer goes to disk: as set, else only where no fill will soon make the layer local:
    /// fills off, held to a bandwidth cap, or this layer's fill failed (<paramref name="fillFailed"/>, asked only then).
    /// A fill unpacks the whole layer within seconds of its reads, and the page cache holds what they read meanwhile,
    /// so a third copy of every byte read is written for nothing: on the 1 GB bench image, keeping it made the reads of
    /// every file 0.39x a full pull instead of 0.31x and the layer local 0.57x instead of 0.44x (bench/lazy's README, stop 15).
    /// </summary>
    public bool KeepsDecompressed(BackgroundFillOptions fill, Func<bool> fillFailed)
    {
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(fillFailed);
        return KeepDecompressed ?? (!fill.Enable || fill.MaxBytesPerSecond > 0 || fillFailed());
    }

    /// <summary>Spans fetched ahead of a file read front to back (0: none).</summary>
    [ConfigurationKeyName("readahead_spans")]
    public int ReadaheadSpans { get; init; } = 2;
}
