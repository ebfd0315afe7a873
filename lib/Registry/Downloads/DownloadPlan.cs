using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>How one image's blobs are fetched: from where, how many requests at once, and in what pieces.</summary>
/// <param name="Registry">The registry client.</param>
/// <param name="Repository">The repository holding the blobs.</param>
/// <param name="PerImage">The image's own request limit (<c>max_concurrent_downloads_per_image</c>).</param>
/// <param name="Global">The limit shared by all images (<c>max_concurrent_downloads</c>).</param>
/// <param name="ChunkBytes">Bytes per range request, or null for one request per blob.</param>
/// <param name="RangesSupported">False when the registry ignores range requests: then every blob comes in one request.</param>
/// <param name="ChunkAttempts">Attempts per range request.</param>
/// <param name="Logger">Where retries are logged.</param>
/// <param name="Gate">What each request waits for before it is sent (a bandwidth cap, more urgent requests), or null.</param>
/// <param name="HoldBack">
/// What each range response's body waits for before each read (a container start's pause, which must also stop the
/// requests already answered), or null. It must end on its own: a reader may be waiting for the bytes it holds.
/// </param>
public sealed record DownloadPlan(
    RegistryClient Registry,
    ImageReference Repository,
    DownloadLimiter PerImage,
    DownloadLimiter Global,
    long? ChunkBytes,
    bool RangesSupported,
    int ChunkAttempts,
    ILogger Logger,
    IDownloadGate? Gate = null,
    Func<CancellationToken, ValueTask>? HoldBack = null);
