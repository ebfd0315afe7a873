using System.Net;

namespace PluggableSnapshotter.Registry.Transport;

/// <summary>Which failures are worth another attempt, and how long to wait before it (exponential backoff, full jitter, Retry-After).</summary>
internal sealed class RetryPolicy(RegistryClientOptions options)
{
    public int MaxAttempts => Math.Max(1, options.MaxAttempts);

    /// <summary>429 and the 5xx answers that signal a passing problem.</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1 (attempt counts from 1).</summary>
    public TimeSpan DelayAfter(int attempt, HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is { } retryAfter)
        {
            var asked = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
            if (asked > TimeSpan.Zero) return asked < options.RetryMaxDelay ? asked : options.RetryMaxDelay;
        }

        var ceiling = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        ceiling = Math.Min(ceiling, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}
