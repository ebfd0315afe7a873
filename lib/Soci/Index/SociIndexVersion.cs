namespace PluggableSnapshotter.Soci;

/// <summary>The two index manifest versions: v1 binds by subject/referrers, v2 by a SOCI-enabled image.</summary>
public enum SociIndexVersion
{
    V1 = 1,
    V2 = 2,
}
