using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// The v2 binding (soci-formats.md, "v2 only"): each converted image manifest is rewritten to carry
/// com.amazon.soci.index-digest, and an OCI image index lists the rewritten manifests beside descriptors of
/// their SOCI indexes (artifactType v2, platform, com.amazon.soci.image-manifest-digest). Layers are shared.
/// </summary>
public static class SociEnabledImage
{
    private static readonly Dictionary<string, string> DockerToOci = new()
    {
        [MediaTypes.DockerManifest] = MediaTypes.OciManifest,
        [MediaTypes.DockerConfig] = MediaTypes.OciConfig,
        [MediaTypes.DockerLayerGzip] = MediaTypes.OciLayerGzip,
        ["application/vnd.docker.image.rootfs.diff.tar"] = MediaTypes.OciLayer,
        [MediaTypes.DockerForeignLayerGzip] = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    };

    /// <summary>
    /// Rewrites an image manifest as OCI with the index-digest annotation. The descriptor carries the manifest's
    /// annotations too, and keeps the original descriptor's platform.
    /// </summary>
    public static (byte[] Manifest, Descriptor Descriptor) AnnotateManifest(ReadOnlySpan<byte> manifest, Descriptor original, string indexDigest)
    {
        ArgumentNullException.ThrowIfNull(original);
        JsonObject root = JsonNode.Parse(manifest) as JsonObject
            ?? throw new InvalidDataException($"image manifest {original.Digest} is not a JSON object");
        root["mediaType"] = MediaTypes.OciManifest;
        ConvertMediaType(root["config"] as JsonObject);
        foreach (JsonNode? layer in root["layers"] as JsonArray ?? [])
        {
            ConvertMediaType(layer as JsonObject);
        }
        var annotations = root["annotations"] as JsonObject ?? [];
        annotations[SociAnnotations.IndexDigest] = indexDigest;
        root["annotations"] = annotations;

        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(root);
        var descriptor = new Descriptor
        {
            MediaType = MediaTypes.OciManifest,
            Digest = ZtocSerializer.Digest(bytes),
            Size = bytes.Length,
            Platform = original.Platform,
            Annotations = annotations.ToDictionary(a => a.Key, a => a.Value?.GetValue<string>() ?? ""),
        };
        return (bytes, descriptor);
    }

    /// <summary>The image index's descriptor of a v2 SOCI index.</summary>
    public static Descriptor IndexDescriptor(string indexDigest, long indexSize, string manifestDigest, Platform? platform) => new()
    {
        MediaType = MediaTypes.OciManifest,
        ArtifactType = SociMediaTypes.IndexV2,
        Digest = indexDigest,
        Size = indexSize,
        Platform = platform,
        Annotations = new Dictionary<string, string> { [SociAnnotations.ImageManifestDigest] = manifestDigest },
    };

    /// <summary>
    /// Builds the SOCI-enabled image index. <paramref name="originalIndex"/> is the source image index, or null
    /// when the source was a single manifest. Unconverted platforms are kept as they were; an older SOCI v2 index
    /// for a converted platform is replaced.
    /// </summary>
    public static byte[] BuildImageIndex(byte[]? originalIndex, IReadOnlyList<ConvertedManifest> converted)
    {
        ArgumentNullException.ThrowIfNull(converted);
        JsonObject root = originalIndex is null
            ? new JsonObject { ["schemaVersion"] = 2 }
            : JsonNode.Parse(originalIndex) as JsonObject ?? throw new InvalidDataException("image index is not a JSON object");
        root["mediaType"] = MediaTypes.OciIndex;
        var kept = new JsonArray();
        foreach (JsonNode? entry in root["manifests"] as JsonArray ?? [])
        {
            var descriptor = entry.Deserialize<Descriptor>(OciJson.Options)
                ?? throw new InvalidDataException("image index holds a null manifest descriptor");
            ConvertedManifest? match = converted.FirstOrDefault(c => c.OriginalDigest == descriptor.Digest);
            bool staleSociIndex = descriptor.ArtifactType == SociMediaTypes.IndexV2
                && converted.Any(c => SamePlatform(c.Manifest.Platform, descriptor.Platform));
            if (staleSociIndex)
            {
                continue;
            }
            kept.Add(match is null ? entry!.DeepClone() : JsonSerializer.SerializeToNode(match.Manifest, OciJson.Options));
        }
        if (originalIndex is null)
        {
            foreach (ConvertedManifest c in converted)
            {
                kept.Add(JsonSerializer.SerializeToNode(c.Manifest, OciJson.Options));
            }
        }
        foreach (ConvertedManifest c in converted)
        {
            kept.Add(JsonSerializer.SerializeToNode(c.SociIndex, OciJson.Options));
        }
        root["manifests"] = kept;
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    private static bool SamePlatform(Platform? a, Platform? b) =>
        a is null ? b is null : b is not null && a.Os == b.Os && a.Architecture == b.Architecture && a.Variant == b.Variant;

    private static void ConvertMediaType(JsonObject? descriptor)
    {
        if (descriptor?["mediaType"]?.GetValue<string>() is { } mediaType && DockerToOci.TryGetValue(mediaType, out string? oci))
        {
            descriptor["mediaType"] = oci;
        }
    }
}
