using System.Net;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Range requests for reads a reader waits on: each attempt is bounded by <see cref="FetchOptions.AttemptTimeoutMilliseconds"/>,
/// failed or timed-out attempts are retried with backoff, and the whole stops at <see cref="FetchOptions.TimeoutMilliseconds"/>
/// with an <see cref="IOException"/> (the reader's EIO). Nothing is remembered between reads, so the first read after the
/// registry answers again succeeds.
/// </summary>
/// <remarks>While a fetch runs, <paramref name="activity"/> counts it (the background fill waits for it).</remarks>
public sealed class OnDemandFetch(RegistryClient registry, FetchOptions options, OnDemandActivity? activity = null, TimeProvider? time = null,
    LazyLayerMetrics? metrics = null)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>How long one read may wait for the registry, all attempts together.</summary>
    public TimeSpan Deadline => TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);

    /// <summary>Bytes <paramref name="range"/> of blob <paramref name="digest"/>.</summary>
    /// <exception cref="IOException">No attempt succeeded within the deadline.</exception>
    /// <exception cref="RegistryException">The registry refused for good (not found, denied).</exception>
    public async Task<byte[]> GetRangeAsync(ImageReference repository, OciDigest digest, ByteRange range, CancellationToken cancellationToken)
    {
        var bytes = new byte[range.Length];
        await GetRangeAsync(repository, digest, range, bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>Bytes <paramref name="range"/> of blob <paramref name="digest"/> into <paramref name="destination"/> (the caller's buffer).</summary>
    /// <exception cref="IOException">No attempt succeeded within the deadline.</exception>
    /// <exception cref="RegistryException">The registry refused for good (not found, denied).</exception>
    public async Task GetRangeAsync(ImageReference repository, OciDigest digest, ByteRange range, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var busy = activity?.Begin();
        var started = _time.GetTimestamp();
        var deadline = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        overall.CancelAfter(deadline);
        Exception? last = null;
        for (var attempt = 1; ; attempt++)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            bounded.CancelAfter(options.AttemptTimeoutMilliseconds);
            try
            {
                var attemptStarted = _time.GetTimestamp();
                await registry.GetBlobRangeAsync(repository, digest, range, destination, bounded.Token).ConfigureAwait(false);
                metrics?.RecordDuration(LazyLayerMetrics.RemoteRegistryGet, _time.GetElapsedTime(attemptStarted));
                metrics?.Count("on_demand_remote_registry_fetch_count");
                metrics?.Fetched("on_demand", range.Length);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsWorthRetrying(e, bounded.IsCancellationRequested))
            {
                last = e is OperationCanceledException
                    ? new TimeoutException($"no answer within {options.AttemptTimeoutMilliseconds} ms")
                    : e;
            }
            var delay = RetryDelay(attempt);
            var elapsed = _time.GetElapsedTime(started);
            if (overall.IsCancellationRequested || elapsed + delay >= deadline)
            {
                throw new IOException($"bytes {range} of blob {digest} could not be fetched within {options.TimeoutMilliseconds} ms " +
                    $"({attempt} attempts; last: {last?.Message})", last);
            }
            try
            {
                await Task.Delay(delay, _time, overall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The deadline: reported at the top of the next round.
            }
        }
    }

    /// <summary>Connection failures, timeouts, short bodies, 429 and 5xx; not a refusal such as 404 or 401.</summary>
    private static bool IsWorthRetrying(Exception e, bool timedOut) => e switch
    {
        OperationCanceledException => timedOut,
        HttpRequestException or IOException or InvalidDataException => true,
        RegistryException { StatusCode: null } => true,
        RegistryException { StatusCode: { } status } => (int)status >= 500 || status == HttpStatusCode.TooManyRequests,
        _ => false,
    };

    private TimeSpan RetryDelay(int attempt)
    {
        var ceiling = Math.Min(options.RetryDelayMilliseconds * Math.Pow(2, attempt - 1), MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
