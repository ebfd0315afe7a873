namespace PluggableSnapshotter.Sdk;

/// <summary>The roles a backend can play in a chain; the host calls only the operations of the roles declared.</summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>No role: the backend only observes (CleanImage).</summary>
    None = 0,

    /// <summary>Serves layers lazily: <see cref="IFileSystem.MountAsync"/>, Check, Unmount and IdMapMount.</summary>
    Lazy = 1,

    /// <summary>Pulls whole images concurrently: <see cref="IFileSystem.MountParallelAsync"/>.</summary>
    Parallel = 2,

    /// <summary>Downloads and unpacks one layer: <see cref="IFileSystem.MountLocalAsync"/> and IdMapMountLocal.</summary>
    Local = 4,
}
