using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>
/// What the overlay core asks of whatever prepares image layers for it (the host's chain policy): the core knows which
/// snapshots were made remotely, not how or by whom; every decision about backends and roles is behind this interface.
/// </summary>
internal interface ILayerPreparer
{
    /// <summary>
    /// Makes the layer available at <see cref="LayerRequest.Mountpoint"/>, or leaves the mount point empty for containerd
    /// to apply the layer itself. Throws only when cancelled.
    /// </summary>
    Task<LayerPreparation> PrepareAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken);

    /// <summary>
    /// After a restart, serves a layer made remotely again if it needs serving (a lazily mounted one), and checks it.
    /// </summary>
    /// <returns>False when the layer is an ordinary directory that needs nothing.</returns>
    /// <exception cref="Exception">The layer cannot be served again (the message says why).</exception>
    Task<bool> RestoreAsync(LayerRequest layer, CancellationToken cancellationToken);

    /// <summary>
    /// An id-mapped view of the committed layer at <paramref name="layerPath"/> (with <paramref name="layerLabels"/>) for
    /// the active snapshot <paramref name="activeLayerId"/>: the path overlay uses as its lower directory.
    /// </summary>
    /// <exception cref="SnapshotterException">No backend can map this layer (FailedPrecondition).</exception>
    Task<string> MapIdsAsync(string layerPath, IReadOnlyDictionary<string, string> layerLabels, string activeLayerId, IdMap idMap, CancellationToken cancellationToken);

    /// <summary>Unmounts what a backend mounted at <paramref name="mountpoint"/> (a layer or an id-mapped view).</summary>
    Task UnmountAsync(string mountpoint, CancellationToken cancellationToken);

    /// <summary>Lets every backend release what it keeps for the image (<see cref="LayerRequest.ImageKey"/>).</summary>
    Task CleanImageAsync(string imageKey, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the backends that care (<see cref="IContainerStartObserver"/>) that a container is about to start on image
    /// layers: the snapshot <paramref name="key"/>, not a layer, was just prepared or viewed on a parent. Returns at once.
    /// </summary>
    void ContainerStarting(string key);

    /// <summary>
    /// Tells the same backends that the snapshot <paramref name="key"/> of such a container (or client's mount) was
    /// removed: the container is gone, and the next start often follows at once. Returns at once.
    /// </summary>
    void ContainerRemoved(string key);
}
