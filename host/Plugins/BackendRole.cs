namespace PluggableSnapshotter.Host.Plugins;

/// <summary>The role a backend plays for one layer, as the chain policy tries it and the snapshot records it.</summary>
internal enum BackendRole
{
    /// <summary>Mounts the layer lazily (<c>MountAsync</c>): role label <c>lazy</c>.</summary>
    Lazy,

    /// <summary>Pulls the whole image concurrently (<c>MountParallelAsync</c>): role label <c>parallel</c>.</summary>
    Parallel,

    /// <summary>Downloads and unpacks the one layer (<c>MountLocalAsync</c>): role label <c>local</c>.</summary>
    Local,
}
