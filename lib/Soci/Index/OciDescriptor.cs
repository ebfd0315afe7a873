using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Soci;

/// <summary>An OCI content descriptor (image-spec descriptor.md), as index manifests and image indexes hold them.</summary>
public sealed record OciDescriptor
{
    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("digest")]
    public required string Digest { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("platform")]
    public OciPlatform? Platform { get; init; }

    public string? Annotation(string key) => Annotations is { } a && a.TryGetValue(key, out string? v) ? v : null;
}
