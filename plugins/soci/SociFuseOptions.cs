using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>SOCI's <c>[fuse]</c> timeouts, in seconds.</summary>
public sealed record SociFuseOptions
{
    [ConfigurationKeyName("attr_timeout")]
    public double AttrTimeout { get; init; } = 1;

    [ConfigurationKeyName("entry_timeout")]
    public double EntryTimeout { get; init; } = 1;

    [ConfigurationKeyName("negative_timeout")]
    public double NegativeTimeout { get; init; } = 1;
}
