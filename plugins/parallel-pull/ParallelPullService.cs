using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// Startup and background work: wipes the staging and blob directories a previous run left (before the host serves), then
/// expires unclaimed jobs periodically; at shutdown, stops every job.
/// </summary>
internal sealed class ParallelPullService(
    ImageJobs jobs, StateLayout layout, ParallelPullOptions options, PluginContext context, TimeProvider time, ILogger<ParallelPullService> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _sweeper = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        layout.Wipe();
        ParallelPullLog.Wiped(logger, context.StateDirectory);
        _sweeper = SweepAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeper.ConfigureAwait(false);
        await jobs.StopAllAsync().ConfigureAwait(false);
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(options.UnclaimedJobTimeoutSeconds / 4.0, 1, 30));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                await jobs.ExpireIdleAsync(time.GetUtcNow()).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested) await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
