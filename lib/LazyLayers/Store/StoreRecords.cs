using System.Text.Json.Serialization;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// <c>layer.json</c>: what the store knows of a layer across restarts; <see cref="Partial"/> for one not local yet whose
/// fetched bytes are kept in <c>blob.partial</c> (with the zTOC and the lower layers' digests, so it mounts again offline).
/// </summary>
internal sealed record LayerRecord(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("bytes_total")] long BytesTotal,
    [property: JsonPropertyName("disk_bytes")] long DiskBytes,
    [property: JsonPropertyName("index_digest")] string? IndexDigest,
    [property: JsonPropertyName("media_type")] string MediaType,
    [property: JsonPropertyName("ztoc_digest")] string ZtocDigest,
    [property: JsonPropertyName("images")] IReadOnlyList<string> Images,
    [property: JsonPropertyName("partial")] bool Partial = false,
    [property: JsonPropertyName("lowers")] IReadOnlyList<string>? Lowers = null);

/// <summary><c>status.json</c>: one entry per layer the store knows, for operators and benchmarks.</summary>
internal sealed record LayerStatus(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("bytes_local")] long BytesLocal,
    [property: JsonPropertyName("bytes_total")] long BytesTotal,
    [property: JsonPropertyName("disk_bytes")] long DiskBytes,
    [property: JsonPropertyName("mounts")] int Mounts,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>The whole of <c>status.json</c>.</summary>
internal sealed record StoreStatus(
    [property: JsonPropertyName("updated")] DateTimeOffset Updated,
    [property: JsonPropertyName("disk_bytes")] long DiskBytes,
    [property: JsonPropertyName("max_bytes")] long MaxBytes,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerStatus> Layers);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LayerRecord))]
[JsonSerializable(typeof(StoreStatus))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
