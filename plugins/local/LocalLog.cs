using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>The local backend's log messages (event ids 1300-1399).</summary>
internal static partial class LocalLog
{
    [LoggerMessage(1300, LogLevel.Information, "Unpacked layer {LayerDigest} (diff ID {DiffId}, {Size} bytes, {Entries} entries) in {Milliseconds} ms")]
    public static partial void LayerUnpacked(ILogger logger, string layerDigest, string diffId, long size, int entries, long milliseconds);

    [LoggerMessage(1301, LogLevel.Information, "Copied {Mountpoint} to {Target} with owners id-mapped")]
    public static partial void IdMappedCopy(ILogger logger, string mountpoint, string target);
}
