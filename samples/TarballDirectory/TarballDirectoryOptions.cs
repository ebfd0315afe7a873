using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Sdk;

namespace TarballDirectory;

/// <summary>The plugin's <c>settings</c> in plugins.yaml.</summary>
public sealed record TarballDirectoryOptions
{
    /// <summary>Where the layer blobs are: one file per layer, named by its digest with ':' as '-' (<c>sha256-0123…</c>).</summary>
    [ConfigurationKeyName("directory")]
    public string Directory { get; init; } = "";

    /// <summary>The checks the host reports at the line of the key, before anything starts.</summary>
    public IEnumerable<PluginSettingsError> Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory)) yield return new PluginSettingsError("directory", "is required: the folder of layer tarballs");
        else if (!System.IO.Directory.Exists(Directory)) yield return new PluginSettingsError("directory", $"{Directory} does not exist");
    }
}
