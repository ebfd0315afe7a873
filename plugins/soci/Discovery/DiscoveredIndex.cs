using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Discovery;

/// <summary>
/// What discovery found for one image: where to fetch from, the image manifest (when it was resolved), and the SOCI index
/// with its digest, or why there is none.
/// </summary>
internal sealed record DiscoveredIndex
{
    public required ImageReference Repository { get; init; }

    /// <summary>The image manifest's digest; null when an explicit index digest made resolving the image unnecessary.</summary>
    public string? ManifestDigest { get; init; }

    public ImageManifest? Manifest { get; init; }

    public SociIndexManifest? Index { get; init; }

    public string? IndexDigest { get; init; }

    /// <summary>Why the image is not lazily loadable, when <see cref="Index"/> is null.</summary>
    public string? NoIndexReason { get; init; }
}
