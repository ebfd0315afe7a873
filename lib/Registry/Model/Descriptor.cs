using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Registry;

/// <summary>An OCI content descriptor: what a blob or manifest is, its digest and its size.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")] public required string MediaType { get; init; }
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("urls")] public IReadOnlyList<string>? Urls { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    [JsonPropertyName("platform")] public Platform? Platform { get; init; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; init; }

    /// <summary>The parsed digest.</summary>
    /// <exception cref="InvalidDataException">The descriptor's digest is not a valid digest.</exception>
    [JsonIgnore]
    public OciDigest ParsedDigest => OciDigest.TryParse(Digest, out var digest)
        ? digest
        : throw new InvalidDataException($"descriptor has an invalid digest '{Digest}'");

    /// <summary>The annotation <paramref name="key"/>, or null when the descriptor has none by that key.</summary>
    public string? Annotation(string key) => Annotations is { } annotations && annotations.TryGetValue(key, out var value) ? value : null;

    /// <summary>A descriptor for <paramref name="content"/> with the given media type.</summary>
    public static Descriptor For(string mediaType, ReadOnlySpan<byte> content) =>
        new() { MediaType = mediaType, Digest = OciDigest.Compute(content).ToString(), Size = content.Length };
}
