using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Layers;

/// <summary>The layer library's log messages (event ids 1200-1299).</summary>
internal static partial class LayersLog
{
    [LoggerMessage(1200, LogLevel.Information, "Applied a layer into {Target}: {Entries} entries, {Bytes} bytes in {Milliseconds} ms (diff ID {DiffId})")]
    public static partial void Applied(ILogger logger, string target, string diffId, int entries, long bytes, long milliseconds);

    [LoggerMessage(1201, LogLevel.Warning, "Applying a layer into {Target} failed: {Reason}")]
    public static partial void ApplyFailed(ILogger logger, string target, string reason);

    [LoggerMessage(1202, LogLevel.Error, "Could not remove the staging directory {Staging}: {Reason}")]
    public static partial void StagingNotRemoved(ILogger logger, string staging, string reason);

    [LoggerMessage(1203, LogLevel.Warning, "Ignored xattrs {Names} on {Entries} entries of the layer applied into {Target}: trusted.* are never set from an archive, and the file system under it does not support the others (as containerd ignores them)")]
    public static partial void XattrsIgnored(ILogger logger, string target, string names, int entries);
}
