namespace PluggableSnapshotter.Sdk;

/// <summary>
/// A backend that makes image layers available to the snapshotter: SOCI's <c>FileSystem</c>, operation for operation.
/// </summary>
/// <remarks>
/// <para>
/// The host calls a backend only for the roles it declares in <see cref="Capabilities"/>: <see cref="BackendCapabilities.Lazy"/>
/// (Mount, Check, Unmount, IdMapMount), <see cref="BackendCapabilities.Parallel"/> (MountParallel) and
/// <see cref="BackendCapabilities.Local"/> (MountLocal, IdMapMountLocal). CleanImage is called on every backend.
/// A backend implements only the operations of its roles: the others have default implementations that answer
/// <see cref="MountOutcome.NotSupported"/> (mounts), do nothing (Unmount, CleanImage) or throw
/// <see cref="NotSupportedException"/> (Check, the id-map operations).
/// </para>
/// <para>
/// Every mount operation works on a mount point the host has created, empty, at <c>snapshots/&lt;id&gt;/fs</c>.
/// If an operation does not end in <see cref="MountOutcome.Mounted"/> (an outcome or an exception), the backend
/// must leave that mount point as it found it: nothing mounted on it and nothing written into it.
/// Expected outcomes are values (<see cref="MountResult"/>); anything else that goes wrong is an exception,
/// after which the host moves on along the chain (see the chain policy in the repository's README).
/// </para>
/// <para>Every member may be called concurrently for different mount points.</para>
/// </remarks>
public interface IFileSystem
{
    /// <summary>The roles this backend can play in a chain.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Makes the layer described by <paramref name="layer"/> available at its mount point lazily (for example through FUSE),
    /// so that file data is fetched on demand. Role <see cref="BackendCapabilities.Lazy"/>.
    /// </summary>
    /// <returns>
    /// <see cref="MountOutcome.Mounted"/>; <see cref="MountOutcome.NoIndex"/> when the image has no index to lazy-load with;
    /// <see cref="MountOutcome.NoZtoc"/> when the image is indexed but this layer is not (the host then unpacks it locally);
    /// <see cref="MountOutcome.DeferToContainerRuntime"/> to let containerd fetch and apply the layer.
    /// </returns>
    Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        Task.FromResult(MountResult.NotSupported("this backend does not serve layers lazily"));

    /// <summary>
    /// Checks that a mount made by <see cref="MountAsync"/> still serves (its connection to the registry works).
    /// Called when the host restores remote snapshots at startup, on the backend that mounted the layer. Throws when the
    /// mount is not usable. Role <see cref="BackendCapabilities.Lazy"/>.
    /// </summary>
    Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        Task.FromException(new NotSupportedException("this backend makes no lazy mounts to check"));

    /// <summary>
    /// Unmounts what <see cref="MountAsync"/> or <see cref="IdMapMountAsync"/> mounted at <paramref name="mountpoint"/>;
    /// no error when nothing of this backend is mounted there. Role <see cref="BackendCapabilities.Lazy"/>.
    /// </summary>
    Task UnmountAsync(string mountpoint, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Downloads the layer and unpacks it into the mount point, with the overlay conventions for whiteouts and opaque
    /// directories. Role <see cref="BackendCapabilities.Local"/>.
    /// </summary>
    /// <param name="layer">The layer and its Prepare labels.</param>
    /// <param name="mounts">The mounts of the active snapshot as containerd would have received them.</param>
    /// <param name="cancellationToken">Cancels the download and the unpack; the mount point is then left empty.</param>
    /// <returns><see cref="MountOutcome.Mounted"/>, or <see cref="MountOutcome.DeferToContainerRuntime"/> to let containerd fetch and apply the layer itself.</returns>
    Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromResult(MountResult.NotSupported("this backend does not unpack single layers"));

    /// <summary>
    /// Like <see cref="MountLocalAsync"/>, but the backend fetches the image's layers concurrently (and may start on the
    /// other layers of the image before they are asked for). Role <see cref="BackendCapabilities.Parallel"/>.
    /// </summary>
    Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromResult(MountResult.NotSupported("this backend does not pull images in parallel"));

    /// <summary>
    /// Makes an id-mapped view of a lazily mounted layer for the active snapshot <paramref name="activeLayerId"/>.
    /// Called on the backend that mounted the layer. Role <see cref="BackendCapabilities.Lazy"/>.
    /// </summary>
    /// <returns>
    /// The path of the id-mapped mount point, which the host passes to overlay as a lower directory. The host owns it from
    /// then on: when the active snapshot goes, it calls <see cref="UnmountAsync"/> on it and deletes it.
    /// Put it beside the layer, e.g. <c>snapshots/&lt;id&gt;/idmap/&lt;activeLayerId&gt;</c>.
    /// </returns>
    Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        Task.FromException<string>(new NotSupportedException("this backend makes no lazy mounts to id-map"));

    /// <summary>
    /// Makes an id-mapped copy of a locally unpacked layer for the active snapshot <paramref name="activeLayerId"/>,
    /// with every owner shifted by <paramref name="idMap"/>. Role <see cref="BackendCapabilities.Local"/>.
    /// </summary>
    /// <returns>
    /// The path of the id-mapped directory (or mount), which the host passes to overlay as a lower directory; the host deletes
    /// it when the active snapshot goes. Put it beside the layer, e.g. <c>snapshots/&lt;id&gt;/idmap/&lt;activeLayerId&gt;</c>.
    /// </returns>
    Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        Task.FromException<string>(new NotSupportedException("this backend does not id-map local layers"));

    /// <summary>
    /// Releases whatever the backend keeps for an image (in-flight downloads, staging directories).
    /// Called on every backend when a snapshot of that image is removed; must be harmless for an image the backend does not know.
    /// </summary>
    /// <param name="imageKey">
    /// The image as <see cref="LayerRequest.ImageKey"/> named it in the Prepare: its manifest digest when the labels carried
    /// one (CRI), else its reference (<c>ctr-remote image rpull</c>).
    /// </param>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    Task CleanImageAsync(string imageKey, CancellationToken cancellationToken) => Task.CompletedTask;
}
