using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// Prefetch (<c>prefetch:</c>) of the later layers' TOCs, and of an optimized image's landmark section: the files <c>ctr-remote image convert
/// --optimize</c> saw the workload read come first in the blob, up to <c>.prefetch.landmark</c>; they are fetched with
/// one request before the mount returns, for at most <see cref="TimeoutMilliseconds"/> (the mount then goes on without).
/// </summary>
public sealed record EstargzPrefetchOptions
{
    [ConfigurationKeyName("enable")]
    public bool Enable { get; init; } = true;

    [ConfigurationKeyName("timeout_ms")]
    public int TimeoutMilliseconds { get; init; } = 10000;

    /// <summary>
    /// When an image's first layer mounts, fetch the TOCs of its later layers in the background, so their Prepares do
    /// not wait for a footer+TOC round trip each.
    /// </summary>
    [ConfigurationKeyName("next_tocs")]
    public bool NextTocs { get; init; } = true;

    /// <summary>Memory the prefetched TOCs not yet taken by a Prepare may hold (JSON and parse, estimated); more are fetched by their Prepare.</summary>
    [ConfigurationKeyName("toc_max_bytes")]
    public long TocMaxBytes { get; init; } = 64L * 1024 * 1024;
}
