namespace PluggableSnapshotter.Sdk;

/// <summary>
/// Optional, beside <see cref="IFileSystem"/>: a backend that implements it is told when containerd sets up a
/// container's root filesystem on image layers, so that its background work (a fill, a prefetch) can make way for the
/// container's start, which waits on the CPUs and the disk that work would take.
/// </summary>
public interface IContainerStartObserver
{
    /// <summary>
    /// Called on every backend that implements it when a snapshot that is not an image layer (no
    /// <see cref="SnapshotLabels.TargetRef"/> label, and not one of containerd's layer unpacks, <c>extract-*</c>) is
    /// prepared or viewed on a parent: containerd creating a container, or a client mounting an image. Must return at
    /// once; the host waits for nothing it starts.
    /// </summary>
    /// <param name="key">The snapshot's key as containerd sent it.</param>
    void ContainerStarting(string key);
}
