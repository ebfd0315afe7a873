using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.LazyLayers.Settings;

/// <summary>The <c>fuse:</c> settings of a lazy backend (SOCI's <c>[fuse]</c>): kernel cache timeouts in seconds, and passthrough.</summary>
public sealed record LayerFuseOptions
{
    // A mounted layer's tree never changes (node ids even survive a restart through the keeper), so the kernel may trust
    // names and attributes for long: a new container's overlay then finds its lower files in the dentry cache instead
    // of sending a LOOKUP and GETATTR per file through FUSE. SOCI's 1 s makes a re-read of 20k files cost ~40k requests.
    [ConfigurationKeyName("attr_timeout")]
    public double AttrTimeout { get; init; } = 3600;

    [ConfigurationKeyName("entry_timeout")]
    public double EntryTimeout { get; init; } = 3600;

    [ConfigurationKeyName("negative_timeout")]
    public double NegativeTimeout { get; init; } = 3600;

    /// <summary>
    /// Files of a layer made local are read by the kernel from the store (FUSE passthrough, Linux 6.9+) instead of through
    /// READ from the same local file. Off by default: the kernel binds a file's passthrough to the backing file the
    /// serving process registered, so after a daemon crash a file a running container still holds open that way cannot
    /// be opened again until it is closed (a running shell keeps its own binary open); READ resumes cleanly. New
    /// containers never need it: they get the local copy itself as their lower layer.
    /// </summary>
    [ConfigurationKeyName("passthrough")]
    public bool Passthrough { get; init; }

    /// <summary>Every problem with these values, as (key within <c>fuse:</c>, message); empty when they are usable.</summary>
    public IEnumerable<(string Key, string Message)> Validate()
    {
        foreach (var (key, value) in new[] { ("attr_timeout", AttrTimeout), ("entry_timeout", EntryTimeout), ("negative_timeout", NegativeTimeout) })
        {
            if (value < 0 || !double.IsFinite(value))
                yield return (key, $"must be a number of seconds, 0 or more, not {value}");
        }
    }

    /// <summary>The options of a read-only FUSE mount of layer <paramref name="layerDigest"/> (its fsname) with <paramref name="subtype"/>.</summary>
    public FuseMountOptions MountOptions(string layerDigest, string subtype) => new()
    {
        FsName = layerDigest,
        Subtype = subtype,
        AttributeTimeout = TimeSpan.FromSeconds(AttrTimeout),
        EntryTimeout = TimeSpan.FromSeconds(EntryTimeout),
        NegativeEntryTimeout = TimeSpan.FromSeconds(NegativeTimeout),
        ReadOnly = true,
        // Files of a layer made local may be read by the kernel from the store (INodeBackingFile); see Passthrough.
        Passthrough = Passthrough,
        // Set by the daemon when it runs a FUSE keeper: the mount then survives a daemon crash or upgrade.
        Keeper = FuseKeeperClient.FromEnvironment(),
        // At least two: a read that inflates a span or group synchronously on the worker must not hold up the metadata
        // requests of the containers starting on this layer.
        Workers = Math.Max(2, Environment.ProcessorCount / 2),
    };
}
