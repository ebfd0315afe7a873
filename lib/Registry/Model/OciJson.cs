using System.Text.Json;
using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Registry;

/// <summary>Reads and writes the OCI JSON documents, turning malformed input into <see cref="InvalidDataException"/>.</summary>
public static class OciJson
{
    /// <summary>The serializer options used for every OCI document (omits nulls, keeps the spec's field names).</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Parses a JSON document of type <typeparamref name="T"/>; <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid document.</exception>
    public static T Parse<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"{what} is JSON null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Serializes a document (compact UTF-8).</summary>
    public static byte[] Serialize<T>(T document) => JsonSerializer.SerializeToUtf8Bytes(document, Options);

    /// <summary>The <c>mediaType</c> field of a manifest or index, when present.</summary>
    public static string? PeekMediaType(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            if (document.RootElement.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind == JsonValueKind.String)
                return mediaType.GetString();
            return document.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"manifest is not valid JSON: {ex.Message}", ex);
        }
    }
}
