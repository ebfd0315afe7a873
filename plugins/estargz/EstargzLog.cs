using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>The estargz backend's log messages (source-generated, event ids 3101-3199).</summary>
internal static partial class EstargzLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Information,
        Message = "Serving eStargz layer {LayerDigest} lazily at {Mountpoint}: {Entries} entries, {Chunks} chunks in {Groups} read groups, TOC {TocDigest}")]
    public static partial void LayerMounted(ILogger logger, string layerDigest, string mountpoint, int entries, int chunks, int groups, string tocDigest);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Unmounted layer {LayerDigest} from {Mountpoint}")]
    public static partial void LayerUnmounted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Mounted an id-mapped view of layer {LayerDigest} at {Mountpoint}")]
    public static partial void IdMappedViewMounted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Prefetched {Bytes} bytes of layer {LayerDigest} (its landmark section) in {Milliseconds} ms")]
    public static partial void Prefetched(ILogger logger, string layerDigest, long bytes, long milliseconds);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Prefetching layer {LayerDigest} did not finish ({Reason}); its files are fetched on demand")]
    public static partial void PrefetchFailed(ILogger logger, string layerDigest, string reason);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Serving layer {LayerDigest} at {Mountpoint} from the local store")]
    public static partial void LayerMountedFromStore(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "Layer {LayerDigest} is local at {Mountpoint}: new containers use the local copy")]
    public static partial void LayerPromoted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Binding the local copy of layer {LayerDigest} over {Mountpoint} failed ({Reason}); the FUSE mount keeps serving it")]
    public static partial void PromotionFailed(ILogger logger, string layerDigest, string mountpoint, string reason);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Warning, Message = "Serving layer {LayerDigest} WITHOUT verification (verify: false): its TOC and chunks are not checked against their digests")]
    public static partial void ServingUnverified(ILogger logger, string layerDigest);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "Prefetching the TOCs of {Layers} later layers of {ImageReference}")]
    public static partial void PrefetchingTocs(ILogger logger, int layers, string imageReference);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "Prefetching the TOC of layer {LayerDigest} failed ({Reason}); its Prepare fetches it")]
    public static partial void TocPrefetchFailed(ILogger logger, string layerDigest, string reason);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "Prefetched TOC of layer {LayerDigest} not kept ({Bytes} bytes would pass prefetch.toc_max_bytes {MaxBytes}); its Prepare fetches it")]
    public static partial void TocPrefetchDropped(ILogger logger, string layerDigest, long bytes, long maxBytes);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Warning,
        Message = "The stored TOC {TocDigest} of layer {LayerDigest} ({Path}) is unusable ({Reason}): fetching it from the registry to replace it")]
    public static partial void StoredTocRejected(ILogger logger, string layerDigest, string tocDigest, string path, string reason);

    /// <summary>The same line as soci's 3009 (lib/LazyLayers' <c>MountTimes</c>), so both backends' mounts compare phase by phase.</summary>
    [LoggerMessage(EventId = 3113, Level = LogLevel.Information, Message = "Mounted layer {LayerDigest} in {Milliseconds} ms: {Phases}")]
    public static partial void MountTimes(ILogger logger, string layerDigest, long milliseconds, string phases);
}
