using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Soci;

/// <summary>The platform of an image manifest (image-spec image-index.md).</summary>
public sealed record OciPlatform
{
    [JsonPropertyName("architecture")]
    public required string Architecture { get; init; }

    [JsonPropertyName("os")]
    public required string Os { get; init; }

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    /// <summary>"os/arch[/variant]", the form --platform takes.</summary>
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>Parses "os/arch[/variant]".</summary>
    public static OciPlatform Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
        {
            throw new FormatException($"platform \"{text}\" is not os/arch[/variant]");
        }
        return new OciPlatform { Os = parts[0], Architecture = parts[1], Variant = parts.Length == 3 ? parts[2] : null };
    }

    /// <summary>Same os and architecture, and the same variant when this one names one.</summary>
    public bool Matches(OciPlatform? other) =>
        other is not null && other.Os == Os && other.Architecture == Architecture && (Variant is null || other.Variant == Variant);
}
