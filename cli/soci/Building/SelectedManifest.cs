using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Cli.Building;

/// <summary>One image manifest picked for work, with its platform.</summary>
internal sealed record SelectedManifest(Descriptor Descriptor, byte[] Bytes, ImageManifest Manifest, Platform? Platform)
{
    public string PlatformText => Platform?.ToString() ?? "unknown platform";
}
