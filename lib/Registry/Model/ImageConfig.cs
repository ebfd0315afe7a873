using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Registry;

/// <summary>The parts of an image configuration the snapshotter needs: platform and the layers' diff IDs.</summary>
public sealed record ImageConfig
{
    [JsonPropertyName("architecture")] public string? Architecture { get; init; }
    [JsonPropertyName("os")] public string? Os { get; init; }
    [JsonPropertyName("rootfs")] public RootFs? RootFs { get; init; }
}

/// <summary>The <c>rootfs</c> section of an image configuration.</summary>
public sealed record RootFs
{
    [JsonPropertyName("type")] public string? Type { get; init; }
    /// <summary>sha256 digests of the uncompressed layer tars, in layer order.</summary>
    [JsonPropertyName("diff_ids")] public IReadOnlyList<string> DiffIds { get; init; } = [];
}
