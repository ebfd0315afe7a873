using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Which manifests of a multi-platform image to work on: all of them, or those matching the given platforms.</summary>
internal sealed record PlatformChoice(bool All, IReadOnlyList<Platform> Platforms)
{
    public static PlatformChoice From(bool all, IReadOnlyList<string>? platforms)
    {
        if (all && platforms is { Count: > 0 })
        {
            throw new CliException("--all-platforms and --platform exclude each other");
        }
        IReadOnlyList<Platform> parsed = platforms is { Count: > 0 }
            ? [.. platforms.Select(Parse)]
            : [Platform.Current];
        return new PlatformChoice(all, parsed);
    }

    public bool Accepts(Platform? platform) =>
        platform is not null && platform.Os != "unknown" && (All || Platforms.Any(p => p.Accepts(platform)));

    private static Platform Parse(string text)
    {
        string[] parts = text.Split('/');
        return parts.Length is 2 or 3 && parts.All(p => p.Length > 0)
            ? new Platform { Os = parts[0], Architecture = parts[1], Variant = parts.Length == 3 ? parts[2] : null }
            : throw new CliException($"--platform \"{text}\" is not os/arch[/variant]");
    }
}
