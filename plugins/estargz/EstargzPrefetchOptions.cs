using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// Prefetch of an optimized image's landmark section (<c>prefetch:</c>): the files <c>ctr-remote image convert
/// --optimize</c> saw the workload read come first in the blob, up to <c>.prefetch.landmark</c>; they are fetched with
/// one request before the mount returns, for at most <see cref="TimeoutMilliseconds"/> (the mount then goes on without).
/// </summary>
public sealed record EstargzPrefetchOptions
{
    [ConfigurationKeyName("enable")]
    public bool Enable { get; init; } = true;

    [ConfigurationKeyName("timeout_ms")]
    public int TimeoutMilliseconds { get; init; } = 10000;
}
