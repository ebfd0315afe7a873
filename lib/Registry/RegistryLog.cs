using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Registry;

/// <summary>The registry client's log messages (event ids 1100-1199). None of them carries a credential or a token.</summary>
internal static partial class RegistryLog
{
    [LoggerMessage(1100, LogLevel.Debug, "Registry {Host} asked for {Scheme} authentication")]
    public static partial void AuthChallenge(ILogger logger, string host, string scheme);

    [LoggerMessage(1101, LogLevel.Debug, "Fetched a token for {Scope} on {Host}, valid {Seconds}s")]
    public static partial void TokenFetched(ILogger logger, string host, string scope, int seconds);

    [LoggerMessage(1102, LogLevel.Warning, "Request to {Host} failed (attempt {Attempt}: {Reason}); retrying")]
    public static partial void Retrying(ILogger logger, string host, int attempt, string reason);

    [LoggerMessage(1103, LogLevel.Information, "Mirror {Host} answered {Status}; trying the next endpoint")]
    public static partial void MirrorFailed(ILogger logger, string host, int status);

    [LoggerMessage(1104, LogLevel.Warning, "Mirror {Host} failed ({Reason}); trying the next endpoint")]
    public static partial void MirrorError(ILogger logger, string host, string reason);

    [LoggerMessage(1105, LogLevel.Warning, "Download of blob {Digest} broke at byte {Offset} ({Reason}); resuming with a range request")]
    public static partial void BlobResuming(ILogger logger, string digest, long offset, string reason);

    [LoggerMessage(1106, LogLevel.Debug, "Registry {Host} refused a multi-range request; fetching {Count} ranges one by one")]
    public static partial void MultiRangeFallback(ILogger logger, string host, int count);

    [LoggerMessage(1107, LogLevel.Debug, "Resolved {Reference} to {Digest}")]
    public static partial void Resolved(ILogger logger, string reference, string digest);

    [LoggerMessage(1108, LogLevel.Warning, "Range request for bytes {Range} of blob {Digest} failed (attempt {Attempt}: {Reason}); retrying the chunk")]
    public static partial void ChunkRetry(ILogger logger, string digest, string range, int attempt, string reason);

    [LoggerMessage(1109, LogLevel.Information, "Registry {Host} ignores range requests; fetching each of its blobs in one request")]
    public static partial void RangesRefused(ILogger logger, string host);

    [LoggerMessage(1110, LogLevel.Debug, "Range probe on {Host} failed ({Reason}); fetching its blobs in one request each")]
    public static partial void RangeProbeFailed(ILogger logger, string host, string reason);
}
