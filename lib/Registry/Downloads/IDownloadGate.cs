namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>Something a download's requests pass before they are sent: a bandwidth cap, or a wait while more urgent requests run.</summary>
public interface IDownloadGate
{
    /// <summary>Returns when a request for <paramref name="bytes"/> may be sent.</summary>
    Task WaitAsync(long bytes, CancellationToken cancellationToken);

    /// <summary>Both gates, one after the other (either may be null).</summary>
    static IDownloadGate? Combine(IDownloadGate? first, IDownloadGate? second) =>
        first is null ? second : second is null ? first : new CombinedGate(first, second);

    private sealed class CombinedGate(IDownloadGate first, IDownloadGate second) : IDownloadGate
    {
        public async Task WaitAsync(long bytes, CancellationToken cancellationToken)
        {
            await first.WaitAsync(bytes, cancellationToken).ConfigureAwait(false);
            await second.WaitAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }
}
