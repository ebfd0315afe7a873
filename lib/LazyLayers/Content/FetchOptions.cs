using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// How long an on-demand read may wait for the registry (<c>fetch:</c> in the soci plugin's settings). A reader of a
/// lazily served file gets EIO once <see cref="TimeoutMilliseconds"/> has passed, however the registry fails: a hung
/// registry costs a bounded wait, not minutes.
/// </summary>
public sealed record FetchOptions
{
    /// <summary>One range request, from sending it to its last byte; a slower one is abandoned and tried again.</summary>
    [ConfigurationKeyName("attempt_timeout_ms")]
    public int AttemptTimeoutMilliseconds { get; init; } = 5000;

    /// <summary>All attempts of one read together, backoff included.</summary>
    [ConfigurationKeyName("timeout_ms")]
    public int TimeoutMilliseconds { get; init; } = 15000;

    /// <summary>The first wait between attempts; it doubles each time (with jitter), never past 2 s.</summary>
    [ConfigurationKeyName("retry_delay_ms")]
    public int RetryDelayMilliseconds { get; init; } = 100;

    /// <summary>The problems with these settings: the key (in this section) and what is wrong.</summary>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        if (AttemptTimeoutMilliseconds < 1) yield return ("attempt_timeout_ms", $"must be positive, not {AttemptTimeoutMilliseconds}");
        if (TimeoutMilliseconds < AttemptTimeoutMilliseconds)
            yield return ("timeout_ms", $"must be at least attempt_timeout_ms ({AttemptTimeoutMilliseconds}), not {TimeoutMilliseconds}");
        if (RetryDelayMilliseconds < 0) yield return ("retry_delay_ms", $"must be 0 or more, not {RetryDelayMilliseconds}");
    }
}
