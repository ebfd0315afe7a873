using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>Kernel cache timeouts of the FUSE mounts, in seconds, and whether local files are read by FUSE passthrough (as for soci).</summary>
public sealed record EstargzFuseOptions
{
    [ConfigurationKeyName("attr_timeout")]
    public double AttrTimeout { get; init; } = 1;

    [ConfigurationKeyName("entry_timeout")]
    public double EntryTimeout { get; init; } = 1;

    [ConfigurationKeyName("negative_timeout")]
    public double NegativeTimeout { get; init; } = 1;

    /// <summary>Off by default, for the reason plugins/soci/README.md gives (a passthrough open outliving a crash).</summary>
    [ConfigurationKeyName("passthrough")]
    public bool Passthrough { get; init; }
}
