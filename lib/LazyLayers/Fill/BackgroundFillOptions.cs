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
    /// How long after a layer mounts its fill may start, and how long no other layer may have begun mounting then (a
    /// pull's Prepares come one after another; at most 10 s more). Short: fill requests wait anyway while on-demand
    /// reads fetch, and what the fill fetches first readers need no request for.
    /// </summary>
    [ConfigurationKeyName("delay_ms")]
    public int DelayMilliseconds { get; init; } = 250;

    /// <summary>
    /// Layers filled at once (each decompresses and unpacks on a CPU of its own while it has bytes to unpack). Several by
    /// default: a container reading an image reads across its layers, and each layer's fill follows the bytes the reads
    /// fetch; one fill at a time left the other layers' unpacks to after the reads (bench/lazy's README, stop 12).
    /// Range requests are bounded for all fills together by <see cref="MaxConcurrentRequests"/>.
    /// </summary>
    [ConfigurationKeyName("max_concurrent_layers")]
    public int MaxConcurrentLayers { get; init; } = 3;

    /// <summary>Range requests in flight for all fills together (on-demand reads are not counted: they never wait for these).</summary>
    [ConfigurationKeyName("max_concurrent_requests")]
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>Bytes per range request.</summary>
    [ConfigurationKeyName("chunk_bytes")]
    public long ChunkBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Attempts per range request before the layer's fill fails (it is tried again at its next mount).</summary>
    [ConfigurationKeyName("chunk_attempts")]
    public int ChunkAttempts { get; init; } = 5;

    /// <summary>
    /// How long every fill pauses (its range requests and its unpack) when a container starts on the daemon's layers,
    /// so the start gets the CPUs, or when one is removed (for the start that often follows); 0 for no pause. Each start
    /// or removal pauses the fill anew, from the container's Prepare or Remove.
    /// </summary>
    [ConfigurationKeyName("container_start_pause_ms")]
    public int ContainerStartPauseMilliseconds { get; init; } = 500;

    /// <summary>
    /// How much lower than the daemon's own the CPU priority of a fill's digest check, decompression and unpack is, as
    /// <c>nice -n</c> (up to a nice value of 19); 0 for the same. Lower, they take only CPU time that containers, the
    /// daemon's answers to reads and everything else on the node leave, also in the moments before a pause can begin
    /// (a container's end, the next one's start up to its Prepare). Its range requests keep the daemon's priority: a
    /// reader may be waiting for one.
    /// </summary>
    [ConfigurationKeyName("nice")]
    public int Nice { get; init; } = 10;

    /// <summary>A cap on the bytes per second all fills take from registries together; 0 for none.</summary>
    [ConfigurationKeyName("max_bytes_per_second")]
    public long MaxBytesPerSecond { get; init; }

    /// <summary>The problems with these settings: the key (in this section) and what is wrong.</summary>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (DelayMilliseconds < 0) yield return ("delay_ms", $"must be 0 or more, not {DelayMilliseconds}");
        if (MaxConcurrentLayers < 1) yield return ("max_concurrent_layers", $"must be at least 1, not {MaxConcurrentLayers}");
        if (MaxConcurrentRequests < 1) yield return ("max_concurrent_requests", $"must be at least 1, not {MaxConcurrentRequests}");
        if (ChunkBytes < 64 * 1024) yield return ("chunk_bytes", $"must be at least 65536, not {ChunkBytes}");
        if (ChunkAttempts < 1) yield return ("chunk_attempts", $"must be at least 1, not {ChunkAttempts}");
        if (ContainerStartPauseMilliseconds < 0) yield return ("container_start_pause_ms", $"must be 0 or more, not {ContainerStartPauseMilliseconds}");
        if (Nice is < 0 or > 19) yield return ("nice", $"must be 0 to 19, not {Nice}");
        if (MaxBytesPerSecond < 0) yield return ("max_bytes_per_second", $"must be 0 or more, not {MaxBytesPerSecond}");
    }
}
