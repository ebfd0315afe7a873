using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>An external decompressor (SOCI's <c>decompress_streams.&lt;compression&gt;</c>), such as <c>/usr/bin/unpigz -d -c</c>.</summary>
public sealed record DecompressStreamOptions
{
    /// <summary>Absolute path of the executable; it is run directly, never through a shell.</summary>
    [ConfigurationKeyName("path")]
    public string Path { get; init; } = "";

    /// <summary>Its arguments; it must read the compressed stream on stdin and write the tar to stdout.</summary>
    [ConfigurationKeyName("args")]
    public List<string> Args { get; init; } = [];

    /// <summary>The problems with this decompressor (<paramref name="key"/> is its section): a relative path, or no executable file there.</summary>
    public IEnumerable<PluginSettingsError> Validate(string key)
    {
        if (!System.IO.Path.IsPathFullyQualified(Path))
        {
            yield return new($"{key}:path", $"'{Path}' must be an absolute path (the decompressor runs without a shell or PATH lookup)");
            yield break;
        }

        if (!File.Exists(Path))
        {
            yield return new($"{key}:path", $"'{Path}' does not exist");
            yield break;
        }

        if ((File.GetUnixFileMode(Path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            yield return new($"{key}:path", $"'{Path}' is not executable");
    }
}
