using System.Text.Json;
using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Soci;

/// <summary>The parts of an OCI or Docker schema 2 image manifest the index builder reads.</summary>
public sealed record OciImageManifest
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; }

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("config")]
    public OciDescriptor? Config { get; init; }

    [JsonPropertyName("layers")]
    public IReadOnlyList<OciDescriptor> Layers { get; init; } = [];

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public static OciImageManifest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            OciImageManifest m = JsonSerializer.Deserialize<OciImageManifest>(json)
                ?? throw new InvalidDataException("image manifest is JSON null");
            return m.SchemaVersion == 2 && m.Config is not null
                ? m
                : throw new InvalidDataException($"image manifest has schemaVersion {m.SchemaVersion} or no config");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"image manifest is not valid JSON: {e.Message}", e);
        }
    }
}
