using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>The soci backend's log messages (source-generated, event ids 3001-3099).</summary>
internal static partial class SociLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Serving layer {LayerDigest} lazily at {Mountpoint}: {Entries} entries, zTOC {ZtocDigest} of SOCI index {IndexDigest}")]
    public static partial void LayerMounted(ILogger logger, string layerDigest, string mountpoint, int entries, string ztocDigest, string? indexDigest);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Unmounted layer {LayerDigest} from {Mountpoint}")]
    public static partial void LayerUnmounted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Mounted an id-mapped view of layer {LayerDigest} at {Mountpoint}")]
    public static partial void IdMappedViewMounted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Reading {Length} bytes at {Offset} of /{Path} in layer {LayerDigest} failed: {Reason}")]
    public static partial void ReadFailed(ILogger logger, string layerDigest, string path, int length, long offset, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Serving layer {LayerDigest} at {Mountpoint} from the local store")]
    public static partial void LayerMountedFromStore(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Serving layer {LayerDigest} at {Mountpoint} from its stored zTOC: the bytes fetched before are read from the store")]
    public static partial void LayerMountedFromPartial(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Layer {LayerDigest} is local at {Mountpoint}: files read through passthrough, new containers use the local copy")]
    public static partial void LayerPromoted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Binding the local copy of layer {LayerDigest} over {Mountpoint} failed ({Reason}); the FUSE mount keeps serving it")]
    public static partial void PromotionFailed(ILogger logger, string layerDigest, string mountpoint, string reason);

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
}
