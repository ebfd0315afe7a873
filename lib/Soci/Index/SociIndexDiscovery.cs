using System.Text.Json.Nodes;

namespace PluggableSnapshotter.Soci;

/// <summary>Finding a SOCI index for an image manifest (soci-formats.md, "Discovery at pull time").</summary>
public static class SociIndexDiscovery
{
    /// <summary>The referrers fallback tag for a manifest digest: "sha256-&lt;hex&gt;".</summary>
    public static string FallbackTag(string manifestDigest)
    {
        int colon = manifestDigest.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? string.Concat(manifestDigest.AsSpan(0, colon), "-", manifestDigest.AsSpan(colon + 1))
            : throw new ArgumentException($"\"{manifestDigest}\" is not a digest", nameof(manifestDigest));
    }

    /// <summary>The v2 binding: the image manifest's com.amazon.soci.index-digest annotation, if any.</summary>
    public static string? IndexDigestFromManifest(ReadOnlySpan<byte> manifestJson)
    {
        JsonNode? root = JsonNode.Parse(manifestJson);
        return root?["annotations"]?[SociAnnotations.IndexDigest]?.GetValue<string>();
    }

    /// <summary>The manifests of an image index (or of a referrers response, which is one).</summary>
    public static IReadOnlyList<Descriptor> Manifests(ReadOnlySpan<byte> imageIndexJson)
    {
        ImageIndex index = OciJson.Parse<ImageIndex>(imageIndexJson, "image index");
        IReadOnlyList<Descriptor> manifests = index.Manifests ?? []; // an explicit null passes `required`
        return manifests.Any(m => m is null)
            ? throw new InvalidDataException("image index holds a null manifest descriptor")
            : manifests;
    }

    /// <summary>SOCI's selection among v1 indexes in a referrers list: the first with the v1 artifact type.</summary>
    public static Descriptor? FirstV1Index(IReadOnlyList<Descriptor> referrers) =>
        referrers.FirstOrDefault(r => r.ArtifactType == SociMediaTypes.IndexV1);

    /// <summary>The v2 SOCI index descriptors an image index lists, with the manifests they index.</summary>
    public static IEnumerable<Descriptor> V2Indexes(IReadOnlyList<Descriptor> imageIndexManifests) =>
        imageIndexManifests.Where(m => m.ArtifactType == SociMediaTypes.IndexV2);
}
