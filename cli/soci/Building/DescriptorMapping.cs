using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Moves descriptors between the registry client's model and the SOCI library's (same OCI fields).</summary>
internal static class DescriptorMapping
{
    public static OciDescriptor ToSoci(this Descriptor d) => new()
    {
        MediaType = d.MediaType,
        ArtifactType = d.ArtifactType,
        Digest = d.Digest,
        Size = d.Size,
        Annotations = d.Annotations,
        Platform = d.Platform?.ToSoci(),
    };

    public static Descriptor ToRegistry(this OciDescriptor d) => new()
    {
        MediaType = d.MediaType,
        ArtifactType = d.ArtifactType,
        Digest = d.Digest,
        Size = d.Size,
        Annotations = d.Annotations,
        Platform = d.Platform is { } p
            ? new Platform { Os = p.Os, Architecture = p.Architecture, Variant = p.Variant, OsVersion = p.OsVersion, OsFeatures = p.OsFeatures }
            : null,
    };

    public static OciPlatform ToSoci(this Platform p) => new()
    {
        Os = p.Os,
        Architecture = p.Architecture,
        Variant = p.Variant,
        OsVersion = p.OsVersion,
        OsFeatures = p.OsFeatures,
    };
}
