using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// The FUSE library's log messages (source-generated, event ids 1501-1599). The request loop logs only failures, once per
/// node where a node keeps failing: a served request writes no log line.
/// </summary>
internal static partial class FuseLog
{
    [LoggerMessage(EventId = 1501, Level = LogLevel.Error, Message = "The kernel offers FUSE protocol {Major}.{Minor}; 7.{Oldest} or newer is needed")]
    public static partial void ProtocolTooOld(ILogger logger, uint major, uint minor, uint oldest);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Debug, Message = "FUSE INIT: kernel 7.{KernelMinor}, answered 7.{Minor}, flags {Flags}, max pages {MaxPages}, io_uring {Uring}, passthrough {Passthrough}")]
    public static partial void InitAnswered(ILogger logger, uint kernelMinor, uint minor, InitFlags flags, int maxPages, bool uring, bool passthrough);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Debug, Message = "FUSE ring queue {Queue} could not be pinned to its CPU; it serves from any CPU")]
    public static partial void QueueNotPinned(ILogger logger, int queue);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Critical, Message = "FUSE ring queue {Queue} stopped unexpectedly")]
    public static partial void QueueCrashed(ILogger logger, Exception? exception, int queue);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "FUSE ring queue {Queue} registered {Registered} of {Entries} entries ({Error})")]
    public static partial void QueuePartlyRegistered(ILogger logger, int queue, int registered, int entries, string error);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Warning, Message = "FUSE ring queue {Queue} lost entry {Entry}: {Error}")]
    public static partial void QueueEntryLost(ILogger logger, int queue, int entry, string error);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Critical, Message = "FUSE ring queue {Queue} stopped: {Reason}; aborting the connection")]
    public static partial void QueueLost(ILogger logger, int queue, string reason);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Error, Message = "FUSE request {Unique} finished without a reply; answering EIO")]
    public static partial void RequestUnanswered(ILogger logger, ulong unique);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Error, Message = "FUSE READDIRPLUS entry {NodeType} failed; listed without attributes (logged once per node)")]
    public static partial void ReaddirplusEntryFailed(ILogger logger, Exception? exception, string nodeType);

    [LoggerMessage(EventId = 1510, Level = LogLevel.Error, Message = "FUSE {Opcode} failed in node {NodeId} ({NodeType}); answering EIO (logged once per node)")]
    public static partial void NodeFailed(ILogger logger, Exception? exception, FuseOpcode opcode, ulong nodeId, string nodeType);

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Writing the FUSE reply to request {Unique} failed: {Error}")]
    public static partial void ReplyFailed(ILogger logger, ulong unique, string error);

    [LoggerMessage(EventId = 1512, Level = LogLevel.Warning, Message = "FUSE_NOTIFY_RESEND failed ({Error}): requests the previous server had read stay unanswered")]
    public static partial void ResendFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 1513, Level = LogLevel.Error, Message = "Reading /dev/fuse failed: {Error}; stopping the worker")]
    public static partial void DeviceReadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 1514, Level = LogLevel.Error, Message = "Short FUSE request of {Length} bytes ignored")]
    public static partial void ShortRequest(ILogger logger, long length);

    [LoggerMessage(EventId = 1515, Level = LogLevel.Critical, Message = "A FUSE worker stopped unexpectedly")]
    public static partial void WorkerCrashed(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 1516, Level = LogLevel.Debug, Message = "FUSE over io_uring: {Queues} queues registered")]
    public static partial void UringQueuesRegistered(ILogger logger, int queues);

    [LoggerMessage(EventId = 1517, Level = LogLevel.Warning, Message = "FUSE over io_uring could not be set up ({Error}); serving through /dev/fuse")]
    public static partial void UringUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 1518, Level = LogLevel.Warning, Message = "FUSE passthrough is refused ({Error}: it needs CAP_SYS_ADMIN); this mount serves every file through READ")]
    public static partial void PassthroughRefused(ILogger logger, string error);

    [LoggerMessage(EventId = 1519, Level = LogLevel.Warning, Message = "FUSE passthrough refused the backing file of node {NodeId}: {Error}; serving it through READ{Scope}")]
    public static partial void BackingFileRefused(ILogger logger, ulong nodeId, string error, string scope);

    [LoggerMessage(EventId = 1520, Level = LogLevel.Warning, Message = "Closing FUSE backing id {BackingId} failed: {Error}")]
    public static partial void BackingIdNotClosed(ILogger logger, int backingId, string error);

    [LoggerMessage(EventId = 1521, Level = LogLevel.Information, Message = "Holding the FUSE connection of {MountPoint} ({Identity}) for process {ProcessId}")]
    public static partial void KeeperHolding(ILogger logger, string mountPoint, string identity, int processId);

    [LoggerMessage(EventId = 1522, Level = LogLevel.Information, Message = "Handing the FUSE connection of {MountPoint} to process {ProcessId}")]
    public static partial void KeeperHandingOver(ILogger logger, string mountPoint, int processId);

    [LoggerMessage(EventId = 1523, Level = LogLevel.Information, Message = "Released the FUSE connection of {MountPoint}")]
    public static partial void KeeperReleased(ILogger logger, string mountPoint);

    [LoggerMessage(EventId = 1524, Level = LogLevel.Information, Message = "The FUSE connection of {MountPoint} has ended")]
    public static partial void KeptConnectionEnded(ILogger logger, string mountPoint);

    [LoggerMessage(EventId = 1525, Level = LogLevel.Warning, Message = "A FUSE keeper already listens on {Socket}")]
    public static partial void KeeperAlreadyListens(ILogger logger, string socket);

    [LoggerMessage(EventId = 1526, Level = LogLevel.Information, Message = "FUSE keeper {ProcessId} listening on {Socket}")]
    public static partial void KeeperListening(ILogger logger, int processId, string socket);

    [LoggerMessage(EventId = 1527, Level = LogLevel.Information, Message = "FUSE keeper socket {Socket} is gone; stopping")]
    public static partial void KeeperSocketGone(ILogger logger, string socket);

    [LoggerMessage(EventId = 1528, Level = LogLevel.Information, Message = "FUSE keeper stopping")]
    public static partial void KeeperStopping(ILogger logger);

    [LoggerMessage(EventId = 1529, Level = LogLevel.Debug, Message = "FUSE keeper client {ProcessId} dropped: {Error}")]
    public static partial void KeeperClientDropped(ILogger logger, int processId, string error);

    [LoggerMessage(EventId = 1530, Level = LogLevel.Information, Message = "Mounted FUSE {FsName} at {MountPoint}")]
    public static partial void Mounted(ILogger logger, string fsName, string mountPoint);

    [LoggerMessage(EventId = 1531, Level = LogLevel.Warning, Message = "Unmounting {MountPoint} failed: {Error}")]
    public static partial void UnmountFailed(ILogger logger, string mountPoint, string error);

    [LoggerMessage(EventId = 1532, Level = LogLevel.Warning, Message = "The FUSE session of {MountPoint} is still serving open files after unmount")]
    public static partial void StillServingAfterUnmount(ILogger logger, string mountPoint);

    [LoggerMessage(EventId = 1533, Level = LogLevel.Warning, Message = "Could not abort the FUSE connection of {MountPoint} ({Error}); forcing the unmount")]
    public static partial void AbortFailed(ILogger logger, string mountPoint, string error);

    [LoggerMessage(EventId = 1534, Level = LogLevel.Warning, Message = "Could not set {Path}: {Error}")]
    public static partial void SettingFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 1535, Level = LogLevel.Information, Message = "Leaving FUSE mount {MountPoint} to the keeper")]
    public static partial void LeftToKeeper(ILogger logger, string mountPoint);

    [LoggerMessage(EventId = 1536, Level = LogLevel.Warning, Message = "Could not ask the FUSE keeper for {MountPoint} ({Error}); mounting afresh")]
    public static partial void KeeperUnreachable(ILogger logger, string mountPoint, string error);

    [LoggerMessage(EventId = 1537, Level = LogLevel.Warning, Message = "The FUSE connection kept for {MountPoint} cannot be resumed ({Reason}); releasing it and mounting afresh")]
    public static partial void KeptConnectionMismatch(ILogger logger, string mountPoint, string reason);

    [LoggerMessage(EventId = 1538, Level = LogLevel.Warning, Message = "Could not end the kept FUSE connection of {MountPoint}: {Error}")]
    public static partial void KeptConnectionNotEnded(ILogger logger, string mountPoint, string error);

    [LoggerMessage(EventId = 1539, Level = LogLevel.Information, Message = "Resumed FUSE {FsName} at {MountPoint} from the keeper ({Nodes} nodes numbered, pending requests {Resent})")]
    public static partial void Resumed(ILogger logger, string fsName, string mountPoint, int nodes, string resent);

    [LoggerMessage(EventId = 1540, Level = LogLevel.Warning, Message = "FUSE mount {MountPoint} is not handed to the keeper (io_uring connections cannot be resumed); it ends with this process")]
    public static partial void UringNotKept(ILogger logger, string mountPoint);

    [LoggerMessage(EventId = 1541, Level = LogLevel.Warning, Message = "Could not hand FUSE mount {MountPoint} to the keeper ({Error}); it ends with this process")]
    public static partial void HandOverFailed(ILogger logger, string mountPoint, string error);

    [LoggerMessage(EventId = 1542, Level = LogLevel.Warning, Message = "Could not release FUSE mount {MountPoint} from the keeper ({Error})")]
    public static partial void KeeperReleaseFailed(ILogger logger, string mountPoint, string error);
}
