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

    /// <summary>What <see cref="Registry.Images.ImageCatalog.SelectAsync"/> takes: null for every platform.</summary>
    public IReadOnlyList<Platform>? Filter => All ? null : Platforms;

    private static Platform Parse(string text)
    {
        try
        {
            return Platform.Parse(text);
        }
        catch (FormatException)
        {
            throw new CliException($"--platform \"{text}\" is not os/arch[/variant]");
        }
    }
}
