using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>One pull mode's switch.</summary>
public sealed record SociPullMode
{
    [ConfigurationKeyName("enable")]
    public bool Enable { get; init; }
}
