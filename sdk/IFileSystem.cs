namespace PluggableSnapshotter.Sdk;

/// <summary>
/// A backend that makes image layers available to the snapshotter: SOCI's <c>FileSystem</c>, operation for operation.
/// </summary>
/// <remarks>
/// <para>
/// The host calls a backend only for the roles it declares in <see cref="Capabilities"/>: <see cref="BackendCapabilities.Lazy"/>
/// (Mount, Check, Unmount, IdMapMount), <see cref="BackendCapabilities.Parallel"/> (MountParallel) and
/// <see cref="BackendCapabilities.Local"/> (MountLocal, IdMapMountLocal). CleanImage is called on every backend.
/// </para>
/// <para>
/// Every mount operation works on a mount point the host has created, empty, at <c>snapshots/&lt;id&gt;/fs</c>.
/// If an operation does not end in <see cref="MountOutcome.Mounted"/> (an outcome or an exception), the backend
/// must leave that mount point as it found it: nothing mounted on it and nothing written into it.
/// Expected outcomes are values (<see cref="MountResult"/>); anything else that goes wrong is an exception,
/// after which the host moves on along the chain.
/// </para>
/// <para>Every member may be called concurrently for different mount points.</para>
/// </remarks>
public interface IFileSystem
{
    /// <summary>The roles this backend can play in a chain.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Makes the layer described by <paramref name="layer"/> available at its mount point lazily (for example through FUSE),
    /// so that file data is fetched on demand.
    /// </summary>
    /// <returns>
    /// <see cref="MountOutcome.Mounted"/>; <see cref="MountOutcome.NoIndex"/> when the image has no index to lazy-load with;
    /// <see cref="MountOutcome.NoZtoc"/> when the image is indexed but this layer is not (the host then unpacks it locally).
    /// </returns>
    Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken);

    /// <summary>
    /// Checks that a mount made by <see cref="MountAsync"/> still serves (its connection to the registry works).
    /// Called when the host restores remote snapshots at startup. Throws when the mount is not usable.
    /// </summary>
    Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken);

    /// <summary>Unmounts what <see cref="MountAsync"/> mounted at <paramref name="mountpoint"/>; no error when nothing is mounted there.</summary>
    Task UnmountAsync(string mountpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Downloads the layer and unpacks it into the mount point, with the overlay conventions for whiteouts and opaque directories.
    /// </summary>
    /// <param name="layer">The layer and its Prepare labels.</param>
    /// <param name="mounts">The mounts of the active snapshot as containerd would have received them.</param>
    /// <param name="cancellationToken">Cancels the download and the unpack; the mount point is then left empty.</param>
    /// <returns><see cref="MountOutcome.Mounted"/>, or <see cref="MountOutcome.DeferToContainerRuntime"/> to let containerd fetch and apply the layer itself.</returns>
    Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="MountLocalAsync"/>, but the backend fetches the image's layers concurrently (and may start on the
    /// other layers of the image before they are asked for).
    /// </summary>
    Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken);

    /// <summary>
    /// Makes an id-mapped view of a lazily mounted layer for the active snapshot <paramref name="activeLayerId"/>.
    /// </summary>
    /// <returns>
    /// The path of the id-mapped mount point, which the host passes to overlay as a lower directory. The host owns it from
    /// then on: when the active snapshot goes, it calls <see cref="UnmountAsync"/> on it and deletes it.
    /// Put it beside the layer, e.g. <c>snapshots/&lt;id&gt;/idmap/&lt;activeLayerId&gt;</c>.
    /// </returns>
    Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken);

    /// <summary>
    /// Makes an id-mapped copy of a locally unpacked layer for the active snapshot <paramref name="activeLayerId"/>,
    /// with every owner shifted by <paramref name="idMap"/>.
    /// </summary>
    /// <returns>
    /// The path of the id-mapped directory (or mount), which the host passes to overlay as a lower directory; the host deletes
    /// it when the active snapshot goes. Put it beside the layer, e.g. <c>snapshots/&lt;id&gt;/idmap/&lt;activeLayerId&gt;</c>.
    /// </returns>
    Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken);

    /// <summary>
    /// Releases whatever the backend keeps for an image (in-flight downloads, staging directories).
    /// Called when a snapshot of that image is removed; must be harmless for an image the backend does not know.
    /// </summary>
    Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken);
}
