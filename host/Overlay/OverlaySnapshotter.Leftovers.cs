using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    /// <summary>
    /// At startup, before serving: deletes what a previous run killed mid-operation left under snapshots/: directories no
    /// snapshot owns (a Prepare's temporary folder, a removal not finished) and, inside each snapshot, the staging folder of
    /// a layer apply that never finished (<c>.fs.apply-&lt;guid&gt;</c>, from a backend's unpack; never part of a snapshot).
    /// </summary>
    public async Task RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        await CleanupAsync(cancellationToken);
        if (!Directory.Exists(_layout.SnapshotsDirectory))
        {
            return;
        }
        foreach (var snapshot in Directory.EnumerateDirectories(_layout.SnapshotsDirectory))
        {
            foreach (var staging in Directory.EnumerateDirectories(snapshot, ".*").Where(d => ApplyStaging().IsMatch(Path.GetFileName(d))))
            {
                try
                {
                    Directory.Delete(staging, recursive: true);
                    HostLog.UnfinishedApplyRemoved(_logger, staging);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    HostLog.UnfinishedApplyNotRemoved(_logger, e, staging);
                }
            }
        }
    }

    // lib/Layers' LayerApplier stages a layer into ".<target>.apply-<guid, 32 hex digits>" next to its target.
    [GeneratedRegex("^\\..+\\.apply-[0-9a-f]{32}$")]
    private static partial Regex ApplyStaging();
}
