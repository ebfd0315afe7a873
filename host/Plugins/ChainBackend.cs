using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>A loaded backend as a chain names it.</summary>
/// <param name="Name">The plugin's name in plugins.yaml.</param>
/// <param name="FileSystem">The backend.</param>
internal sealed record ChainBackend(string Name, IFileSystem FileSystem)
{
    /// <summary>True when the backend declares <paramref name="role"/>.</summary>
    public bool Plays(BackendRole role) => FileSystem.Capabilities.HasFlag(role.Capability());
}
