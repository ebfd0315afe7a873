using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// On-demand reads that never end: a fill's requests wait behind them for good (after the first <paramref name="letThrough"/>),
/// so it unpacks only what readers fetched.
/// </summary>
internal sealed class ClosedGate(int letThrough = 0) : IDownloadGate
{
    private int _requests;

    public Task WaitAsync(long bytes, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _requests) <= letThrough ? Task.CompletedTask : Task.Delay(Timeout.Infinite, cancellationToken);
}
