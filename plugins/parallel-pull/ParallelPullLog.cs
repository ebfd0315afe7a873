using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>The parallel-pull backend's log messages (event ids 1400-1499). None carries a credential.</summary>
internal static partial class ParallelPullLog
{
    [LoggerMessage(1400, LogLevel.Information, "Started pulling {LayerCount} layers of {ImageReference} ({ManifestDigest}) in parallel: chunk size {ChunkBytes}, ranges supported {RangesSupported}")]
    public static partial void JobStarted(ILogger logger, int layerCount, string imageReference, string manifestDigest, long chunkBytes, bool rangesSupported);

    [LoggerMessage(1401, LogLevel.Information, "Unpacked layer {LayerDigest} of {ImageReference} (diff ID {DiffId}, {Entries} entries) in {Milliseconds} ms")]
    public static partial void LayerUnpacked(ILogger logger, string layerDigest, string imageReference, string diffId, int entries, long milliseconds);

    [LoggerMessage(1402, LogLevel.Information, "Layer {LayerDigest} moved into {Mountpoint}")]
    public static partial void LayerClaimed(ILogger logger, string layerDigest, string mountpoint);

    [LoggerMessage(1404, LogLevel.Information, "Stopped the pull of {ImageReference}: {Reason}")]
    public static partial void JobStopped(ILogger logger, string imageReference, string reason);

    [LoggerMessage(1405, LogLevel.Debug, "Every layer of {ImageReference} was claimed; its pull is done")]
    public static partial void JobDone(ILogger logger, string imageReference);

    [LoggerMessage(1406, LogLevel.Debug, "Blob {LayerDigest} is already being fetched or kept; {ImageReference} shares it")]
    public static partial void BlobShared(ILogger logger, string layerDigest, string imageReference);

    [LoggerMessage(1408, LogLevel.Warning, "Unpacking layer {LayerDigest} of {ImageReference} failed: {Reason}")]
    public static partial void LayerFailed(ILogger logger, string layerDigest, string imageReference, string reason);

    [LoggerMessage(1409, LogLevel.Information, "Wiped the staging and blob directories under {StateDirectory}")]
    public static partial void Wiped(ILogger logger, string stateDirectory);

    [LoggerMessage(1410, LogLevel.Debug, "Layer {LayerDigest} is already being unpacked for another pull; {ImageReference} shares it")]
    public static partial void LayerShared(ILogger logger, string layerDigest, string imageReference);

    [LoggerMessage(1411, LogLevel.Information, "Dropped {Count} kept blobs of cleaned image {Image}")]
    public static partial void BlobsForgotten(ILogger logger, int count, string image);
}
