using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The daemon's log messages (source-generated, event ids 1-99; the libraries and plugins own 1100 and up). Grouped by
/// where they come from: 1-19 start-up and hosting, 21-29 plugins and chains, 31-39 the gRPC adapter, 41-79 the
/// overlay core. The wording is what operators and tests read: change it only with the tests that look for it.
/// </summary>
internal static partial class HostLog
{
    // Start-up and hosting (1-19; 20 is IdleMemoryTrimmer's).
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving on {Address}; metrics {Metrics}; start-up: {Startup}")]
    public static partial void Serving(ILogger logger, string address, string metrics, string startup);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "cannot start: {Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "startup failure")]
    public static partial void StartupFailure(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "cannot start")]
    public static partial void CannotStartUnexpectedly(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Trace, Message = "starting {Service} of plugin {Plugin}")]
    public static partial void StartingPluginService(ILogger logger, string service, string plugin);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "snapshotter ready: root {Root}, socket {Address}")]
    public static partial void SnapshotterReady(ILogger logger, string root, string address);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "FUSE keeper off: lazily served mounts end with the daemon")]
    public static partial void FuseKeeperOff(ILogger logger);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "the FUSE keeper did not start ({Error}; see {Log}); lazily served mounts will not survive a daemon restart")]
    public static partial void FuseKeeperDidNotStart(ILogger logger, string error, string log);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "starting FUSE keeper on {Socket} (its log: {Log})")]
    public static partial void FuseKeeperStarted(ILogger logger, string socket, string log);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "FUSE keeper {ProcessId} already runs on {Socket}")]
    public static partial void FuseKeeperAlreadyRuns(ILogger logger, int processId, string socket);

    // Plugins and chains (21-29).
    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "loaded plugin {Plugin} from {Assembly} ({Capabilities})")]
    public static partial void PluginLoaded(ILogger logger, string plugin, string assembly, PluggableSnapshotter.Sdk.BackendCapabilities capabilities);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "chain {Chain}: [{Backends}] for {Images}")]
    public static partial void ChainConfigured(ILogger logger, string chain, string backends, string images);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "{Backend} ({Role}) failed to prepare layer {LayerDigest}")]
    public static partial void BackendFailed(ILogger logger, Exception exception, string backend, string role, string? layerDigest);

    // The gRPC adapter (31-39).
    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "{Method} failed")]
    public static partial void CallFailed(ILogger logger, Exception exception, string method);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "{Method}: {Code}: {Message}")]
    public static partial void CallRefused(ILogger logger, string method, global::Grpc.Core.StatusCode code, string message);

    [LoggerMessage(EventId = 33, Level = LogLevel.Debug, Message = "{Method}: {Code} in {Milliseconds:0.###} ms")]
    public static partial void CallTimed(ILogger logger, string method, global::Grpc.Core.StatusCode code, double milliseconds);

    [LoggerMessage(EventId = 34, Level = LogLevel.Information, Message = "Warmed up the serving path in {Milliseconds} ms (jit {Methods} methods in {JitMilliseconds} ms)")]
    public static partial void ServingWarmedUp(ILogger logger, long milliseconds, long methods, long jitMilliseconds);

    [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "The serving path's warm-up failed (only the first call is slower): {Message}")]
    public static partial void ServingWarmUpFailed(ILogger logger, string message);

    // The overlay core: features, remote snapshots (41-49).
    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "overlayfs options: index=off {IndexOff}, userxattr {UserXattr}")]
    public static partial void OverlayOptions(ILogger logger, bool indexOff, bool userXattr);

    [LoggerMessage(EventId = 42, Level = LogLevel.Debug, Message = "overlay with userxattr does not mount here (errno {Errno})")]
    public static partial void UserXattrUnavailable(ILogger logger, int errno);

    [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "layer {LayerDigest} of {ImageReference}: {Preparation}")]
    public static partial void LayerPrepared(ILogger logger, string? layerDigest, string? imageReference, string preparation);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "layer {LayerDigest} of {ImageReference}: {Preparation}; committed as {Target}")]
    public static partial void LayerPreparedAndCommitted(ILogger logger, string? layerDigest, string? imageReference, string preparation, string target);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "failed to remove id-mapped view {View}")]
    public static partial void IdMappedViewNotRemoved(ILogger logger, Exception exception, string view);

    // The overlay core: removal (51-59).
    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "cleaning image {Image} after removing {Key} failed")]
    public static partial void CleanImageFailed(ILogger logger, Exception exception, string image, string key);

    [LoggerMessage(EventId = 52, Level = LogLevel.Warning, Message = "failed to remove snapshot directory {Directory}")]
    public static partial void SnapshotDirectoryNotRemoved(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 53, Level = LogLevel.Warning, Message = "backend failed to unmount {Mountpoint}; forcing it")]
    public static partial void BackendUnmountFailed(ILogger logger, Exception exception, string mountpoint);

    // The overlay core: start-up restore and leftovers (61-79).
    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "leaving {Mountpoint} mounted: the FUSE keeper holds its connection for the backend to resume")]
    public static partial void LeavingKeptMount(ILogger logger, string mountpoint);

    [LoggerMessage(EventId = 62, Level = LogLevel.Information, Message = "unmounting stale mount {Mountpoint}")]
    public static partial void UnmountingStaleMount(ILogger logger, string mountpoint);

    [LoggerMessage(EventId = 63, Level = LogLevel.Information, Message = "restored remote snapshot {Name}")]
    public static partial void RemoteSnapshotRestored(ILogger logger, string name);

    [LoggerMessage(EventId = 64, Level = LogLevel.Warning, Message = "failed to restore remote snapshot {Name}: {Failure}; remove this snapshot manually")]
    public static partial void RemoteSnapshotNotRestored(ILogger logger, string name, string failure);

    [LoggerMessage(EventId = 65, Level = LogLevel.Warning, Message = "cannot list the FUSE keeper's connections ({Error}); unmounting every leftover mount")]
    public static partial void KeeperConnectionsUnlisted(ILogger logger, string error);

    [LoggerMessage(EventId = 66, Level = LogLevel.Warning, Message = "cannot release the kept FUSE connection of {Mountpoint}: {Error}")]
    public static partial void KeptConnectionNotReleased(ILogger logger, string mountpoint, string error);

    [LoggerMessage(EventId = 67, Level = LogLevel.Warning, Message = "cannot release unresumed FUSE connections from the keeper: {Error}")]
    public static partial void UnresumedConnectionsNotReleased(ILogger logger, string error);

    [LoggerMessage(EventId = 68, Level = LogLevel.Warning, Message = "no backend resumed the kept FUSE mount {Mountpoint} ({Identity}); unmounting it")]
    public static partial void KeptMountUnresumed(ILogger logger, string mountpoint, string identity);

    [LoggerMessage(EventId = 71, Level = LogLevel.Information, Message = "removed {Staging}, left by a layer apply a previous run did not finish")]
    public static partial void UnfinishedApplyRemoved(ILogger logger, string staging);

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "failed to remove {Staging}, left by an unfinished layer apply")]
    public static partial void UnfinishedApplyNotRemoved(ILogger logger, Exception exception, string staging);

    [LoggerMessage(EventId = 73, Level = LogLevel.Warning, Message = "backend {Backend} failed to take note of {Event} (snapshot {Key})")]
    public static partial void ContainerEventNotSeen(ILogger logger, Exception exception, string backend, string @event, string key);
}
