using System.Diagnostics;
using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Mounts;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// Runs <see cref="PrepareWarmUp"/> once in the background when the daemon starts, so the first lazy pull's Prepare runs
/// compiled code (and the plugin's registry client has made its HTTP client). It does not hold up the start (the host awaits only <see cref="StartAsync"/>, which returns at once); a
/// Prepare that arrives first simply compiles what it needs itself. A failure costs only speed: it is logged, not raised.
/// </summary>
internal sealed class SociWarmUpService(RegistryClient registry, SociBackendOptions options, PluginContext context, ILogger<SociWarmUpService>? logger = null,
    MountActivity? activity = null)
    : IHostedService, IDisposable
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The warm-up's fill waits until no Prepare has begun for this long (a pull and its first container start).</summary>
    private static readonly TimeSpan QuietBeforeFill = TimeSpan.FromSeconds(2);

    /// <summary>And no longer than this, whatever happens.</summary>
    private static readonly TimeSpan LongestWaitBeforeFill = TimeSpan.FromMinutes(1);

    /// <summary>The warm-up run; complete once it has finished (or failed, or was stopped).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Completion = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var (started, methods, jit) = (Stopwatch.GetTimestamp(), JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
        try
        {
            // The keeper the daemon started meanwhile answers each call once now, so the first mount's calls to it (take,
            // deposit) neither wait for its start nor compile the client's and the keeper's request paths.
            var keeper = FuseKeeperClient.FromEnvironment()?.WarmUpAsync(Path.Combine(context.StateDirectory, "warm-up-keeper-probe"), cancellationToken)
                ?? Task.FromResult(false);
            var prepare = PrepareWarmUp.RunAsync(registry, options.UserXattr, Path.Combine(context.StateDirectory, "warm-up"),
                options.Fuse.MountOptions("warm-up", "pluggable-warm-up"),
                activity is null ? null : token => activity.WaitQuietAsync(QuietBeforeFill, LongestWaitBeforeFill, token), _logger, cancellationToken,
                keepDecompressedSpans: options.Cache.KeepsDecompressed(options.BackgroundFill, () => false));
            await Task.WhenAll(keeper, prepare).ConfigureAwait(false); // both awaited: a failure of either is logged
            SociLog.WarmedUp(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, JitInfo.GetCompiledMethodCount() - methods,
                (long)(JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The daemon stopped first.
        }
#pragma warning disable CA1031 // a warm-up that fails costs only the first Prepare's speed; it must never fail the daemon
        catch (Exception e)
#pragma warning restore CA1031
        {
            SociLog.WarmUpFailed(_logger, e.Message);
        }
    }

    public void Dispose() => _stopping.Dispose();
}
