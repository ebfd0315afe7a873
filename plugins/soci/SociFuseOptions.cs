using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>SOCI's <c>[fuse]</c> timeouts, in seconds, and whether local files are read by FUSE passthrough.</summary>
public sealed record SociFuseOptions
{
    [ConfigurationKeyName("attr_timeout")]
    public double AttrTimeout { get; init; } = 1;

    [ConfigurationKeyName("entry_timeout")]
    public double EntryTimeout { get; init; } = 1;

    [ConfigurationKeyName("negative_timeout")]
    public double NegativeTimeout { get; init; } = 1;

    /// <summary>
    /// Files of a layer made local are read by the kernel from the store (FUSE passthrough, Linux 6.9+) instead of through
    /// READ from the same local file. Off by default: the kernel binds a file's passthrough to the backing file the
    /// serving process registered, so after a daemon crash a file a running container still holds open that way cannot
    /// be opened again until it is closed (a running shell keeps its own binary open); READ resumes cleanly. New
    /// containers never need it: they get the local copy itself as their lower layer.
    /// </summary>
    [ConfigurationKeyName("passthrough")]
    public bool Passthrough { get; init; }
}
