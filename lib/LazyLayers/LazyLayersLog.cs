using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.LazyLayers;

/// <summary>
/// Log messages of the shared lazy-layer machinery (source-generated). Event ids keep the soci backend's numbers
/// (3004, 3010-3022) they had before the move, so existing log queries still match.
/// </summary>
internal static partial class LazyLayersLog
{
    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Reading {Length} bytes at {Offset} of /{Path} in layer {LayerDigest} failed: {Reason}")]
    public static partial void ReadFailed(ILogger logger, string layerDigest, string path, int length, long offset, string reason);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "unbinding the local copy of layer {LayerDigest} from {Mountpoint} failed")]
    public static partial void UnbindFailed(ILogger logger, Exception exception, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Warning,
        Message = "Keeping the index file fetched for layer {LayerDigest} in the store failed ({Reason}); the mount uses it, the next mount from the store fetches it again")]
    public static partial void IndexFileNotReplaced(ILogger logger, string layerDigest, string reason);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Debug, Message = "Background fill paused for {Milliseconds} ms: a container is starting on snapshot {Key}")]
    public static partial void FillPaused(ILogger logger, int milliseconds, string key);

    [LoggerMessage(EventId = 3036, Level = LogLevel.Debug, Message = "Background fill paused for {Milliseconds} ms: the container of snapshot {Key} was removed, another may start")]
    public static partial void FillPausedAfterRemoval(ILogger logger, int milliseconds, string key);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Filled layer {LayerDigest} ({Bytes} bytes, {Entries} entries) in {Milliseconds} ms")]
    public static partial void LayerFilled(ILogger logger, string layerDigest, long bytes, int entries, long milliseconds);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Filling layer {LayerDigest} failed: {Reason}; its reads stay on demand")]
    public static partial void FillFailed(ILogger logger, string layerDigest, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Stopped filling layer {LayerDigest}: {Reason}")]
    public static partial void FillStopped(ILogger logger, string layerDigest, string reason);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Not filling layer {LayerDigest}: the store is at its limit of {MaxBytes} bytes with every layer in use")]
    public static partial void FillSkippedStoreFull(ILogger logger, string layerDigest, long maxBytes);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Evicted unused layer {LayerDigest} ({Bytes} bytes) from the store")]
    public static partial void LayerEvicted(ILogger logger, string layerDigest, long bytes);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "Freed layer {LayerDigest} from the store")]
    public static partial void LayerFreed(ILogger logger, string layerDigest);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "Removed {Path}, left in the store by an earlier run")]
    public static partial void StoreLeftoverRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Warning, Message = "Could not delete {Path} from the store: {Error}; it goes when the store opens next")]
    public static partial void TrashNotEmptied(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Warning, Message = "Could not move {Path} to the store's trash: {Error}; deleting it in place")]
    public static partial void TrashRefused(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 3035, Level = LogLevel.Information, Message = "The last fill ended: collected its garbage in {Milliseconds} ms (managed heap {BeforeMiB} -> {AfterMiB} MiB)")]
    public static partial void FillGarbageCollected(ILogger logger, long milliseconds, long beforeMiB, long afterMiB);
}
