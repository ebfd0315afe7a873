using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>Parses image references from the command line into clear errors.</summary>
internal static class References
{
    public static ImageReference Parse(string text)
    {
        try
        {
            return ImageReference.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>A destination must name its tag: a converted image is a new image, and "latest" is never implied.</summary>
    public static ImageReference ParseTaggedDestination(string text)
    {
        string lastComponent = text[(text.LastIndexOf('/') + 1)..];
        if (text.Contains('@', StringComparison.Ordinal) || !lastComponent.Contains(':', StringComparison.Ordinal))
        {
            throw new CliException($"destination \"{text}\" needs a tag (for example {text.Split('@')[0]}:soci)");
        }
        return Parse(text);
    }

    public static bool SameRepository(ImageReference a, ImageReference b) => a.Registry == b.Registry && a.Repository == b.Repository;
}
