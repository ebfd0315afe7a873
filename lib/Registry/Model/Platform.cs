using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace PluggableSnapshotter.Registry;

/// <summary>The platform of an image manifest as an image index describes it.</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    [JsonPropertyName("os.version")] public string? OsVersion { get; init; }
    [JsonPropertyName("os.features")] public IReadOnlyList<string>? OsFeatures { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }

    /// <summary>The platform this process runs on (linux/amd64, linux/arm64/v8, …).</summary>
    public static Platform Current { get; } = new()
    {
        Os = "linux",
        Architecture = RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "amd64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.Arm => "arm",
            System.Runtime.InteropServices.Architecture.X86 => "386",
            System.Runtime.InteropServices.Architecture.S390x => "s390x",
            System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
            System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
            var other => other.ToString().ToLowerInvariant(),
        },
        Variant = RuntimeInformation.OSArchitecture switch { System.Runtime.InteropServices.Architecture.Arm64 => "v8", System.Runtime.InteropServices.Architecture.Arm => "v7", _ => null },
    };

    /// <summary>
    /// True when an image for <paramref name="candidate"/> runs on this platform: same OS and architecture, and the same variant
    /// where this platform names one (arm64's variant v8 is the default and may be omitted, as containerd treats it).
    /// </summary>
    public bool Accepts(Platform? candidate)
    {
        if (candidate is null) return false;
        if (!string.Equals(Os, candidate.Os, StringComparison.Ordinal) || !string.Equals(Architecture, candidate.Architecture, StringComparison.Ordinal))
            return false;
        var wanted = NormalizeVariant(Variant);
        return wanted is null || wanted == NormalizeVariant(candidate.Variant);
    }

    /// <summary>Parses <c>os/arch[/variant]</c>, the form <c>--platform</c> options take.</summary>
    /// <exception cref="FormatException">The text is not of that form.</exception>
    public static Platform Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
            throw new FormatException($"platform \"{text}\" is not os/arch[/variant]");
        return new Platform { Os = parts[0], Architecture = parts[1], Variant = parts.Length == 3 ? parts[2] : null };
    }

    /// <summary>"os/arch[/variant]".</summary>
    public override string ToString() => $"{Os}/{Architecture}{(Variant is null ? "" : "/" + Variant)}";

    private string? NormalizeVariant(string? variant) =>
        Architecture == "arm64" && (variant is null or "v8") ? null : string.IsNullOrEmpty(variant) ? null : variant;
}
