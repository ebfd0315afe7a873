using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Fuse.Keeper;

/// <summary>The keeper's wire format: source-generated JSON, snake_case, nulls left out.</summary>
[JsonSerializable(typeof(KeeperRequest))]
[JsonSerializable(typeof(KeeperResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class KeeperJson : JsonSerializerContext;
