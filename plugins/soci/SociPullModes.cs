using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>SOCI's <c>[pull_modes]</c>: since SOCI v0.10, v2 indexes are used and v1 (referrers) ones are not, by default.</summary>
public sealed record SociPullModes
{
    [ConfigurationKeyName("soci_v1")]
    public SociPullMode SociV1 { get; init; } = new() { Enable = false };

    [ConfigurationKeyName("soci_v2")]
    public SociPullMode SociV2 { get; init; } = new() { Enable = true };
}
