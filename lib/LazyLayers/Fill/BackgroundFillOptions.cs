using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// The background fill (<c>background_fill:</c> in the soci plugin's settings): after a layer mounts, the daemon fetches
/// the whole blob with parallel range requests, checks its digest and unpacks it into the local store, so the image
/// ends up local without waiting for reads to ask for it.
/// </summary>
public sealed record BackgroundFillOptions
{
    [ConfigurationKeyName("enable")]
    public bool Enable { get; init; } = true;

    /// <summary>
    /// How long after a layer mounts its fill may start. Short: fill requests wait anyway while on-demand reads fetch,
    /// and what the fill fetches first readers need no request for.
    /// </summary>
    [ConfigurationKeyName("delay_ms")]
    public int DelayMilliseconds { get; init; } = 250;

    /// <summary>Layers filled at once (each decompresses and unpacks on a CPU of its own).</summary>
    [ConfigurationKeyName("max_concurrent_layers")]
    public int MaxConcurrentLayers { get; init; } = 1;

    /// <summary>Range requests in flight for all fills together (on-demand reads are not counted: they never wait for these).</summary>
    [ConfigurationKeyName("max_concurrent_requests")]
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>Bytes per range request.</summary>
    [ConfigurationKeyName("chunk_bytes")]
    public long ChunkBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Attempts per range request before the layer's fill fails (it is tried again at its next mount).</summary>
    [ConfigurationKeyName("chunk_attempts")]
    public int ChunkAttempts { get; init; } = 5;

    /// <summary>A cap on the bytes per second all fills take from registries together; 0 for none.</summary>
    [ConfigurationKeyName("max_bytes_per_second")]
    public long MaxBytesPerSecond { get; init; }

    /// <summary>
    /// Whether the fill's CPU work (inflate and diff ID hash, tar parsing and file writes) runs on threads of its own at
    /// <see cref="Nice"/>, so that FUSE requests, gRPC calls and container starts (containerd, shim, runc) go first. The
    /// fill's requests stay at normal priority: on-demand reads may wait for ranges they fetch. Off by default: measured on
    /// a shared, loaded machine (bench/lazy README), the lowered fill lost the CPU to unrelated processes too, so layers
    /// went local later (whole image local 1.05-1.24x a full pull, against 0.66-0.93x) and re-reads found them still on FUSE.
    /// </summary>
    [ConfigurationKeyName("low_priority")]
    public bool LowPriority { get; init; }

    /// <summary>The nice value (1-19) of those threads (in a real-time daemon: the lowest real-time priority instead).</summary>
    [ConfigurationKeyName("nice")]
    public int Nice { get; init; } = 19;

    /// <summary>The problems with these settings: the key (in this section) and what is wrong.</summary>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (DelayMilliseconds < 0) yield return ("delay_ms", $"must be 0 or more, not {DelayMilliseconds}");
        if (MaxConcurrentLayers < 1) yield return ("max_concurrent_layers", $"must be at least 1, not {MaxConcurrentLayers}");
        if (MaxConcurrentRequests < 1) yield return ("max_concurrent_requests", $"must be at least 1, not {MaxConcurrentRequests}");
        if (ChunkBytes < 64 * 1024) yield return ("chunk_bytes", $"must be at least 65536, not {ChunkBytes}");
        if (ChunkAttempts < 1) yield return ("chunk_attempts", $"must be at least 1, not {ChunkAttempts}");
        if (Nice is < 1 or > 19) yield return ("nice", $"must be 1 to 19, not {Nice}");
        if (MaxBytesPerSecond < 0) yield return ("max_bytes_per_second", $"must be 0 or more, not {MaxBytesPerSecond}");
    }
}
