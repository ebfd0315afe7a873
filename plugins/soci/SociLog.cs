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

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Serving layer {LayerDigest} at {Mountpoint} from the local store")]
    public static partial void LayerMountedFromStore(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Serving layer {LayerDigest} at {Mountpoint} from its stored zTOC: the bytes fetched before are read from the store")]
    public static partial void LayerMountedFromPartial(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Layer {LayerDigest} is local at {Mountpoint}: files read through passthrough, new containers use the local copy")]
    public static partial void LayerPromoted(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Binding the local copy of layer {LayerDigest} over {Mountpoint} failed ({Reason}); the FUSE mount keeps serving it")]
    public static partial void PromotionFailed(ILogger logger, string layerDigest, string mountpoint, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Mounted layer {LayerDigest} in {Milliseconds} ms: {Phases}")]
    public static partial void MountTimes(ILogger logger, string layerDigest, long milliseconds, string phases);

    [LoggerMessage(EventId = 3026, Level = LogLevel.Warning,
        Message = "Left the warm-up folder {Path} in place: {MountPoints} still mounted in it could not be detached ({Reason}); deleting it would reach through the mount")]
    public static partial void WarmUpFolderLeft(ILogger logger, string path, string mountPoints, string reason);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Warning,
        Message = "The stored zTOC {ZtocDigest} of layer {LayerDigest} ({Path}) is unusable ({Reason}): fetching it from the registry to replace it")]
    public static partial void StoredZtocRejected(ILogger logger, string layerDigest, string ztocDigest, string path, string reason);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Information, Message = "Warmed up the Prepare path in {Milliseconds} ms (jit {Methods} methods in {JitMilliseconds} ms)")]
    public static partial void WarmedUp(ILogger logger, long milliseconds, long methods, long jitMilliseconds);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Warning, Message = "Warming up the Prepare path failed ({Reason}); the first Prepare compiles it")]
    public static partial void WarmUpFailed(ILogger logger, string reason);
}
