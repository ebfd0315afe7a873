using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>The limits shared by every image (<c>max_concurrent_downloads</c>, <c>max_concurrent_unpacks</c>).</summary>
internal sealed class PullLimits(ParallelPullOptions options) : IDisposable
{
    public DownloadLimiter Downloads { get; } = new(options.MaxConcurrentDownloads);

    public DownloadLimiter Unpacks { get; } = new(options.MaxConcurrentUnpacks);

    public void Dispose()
    {
        Downloads.Dispose();
        Unpacks.Dispose();
    }
}
