namespace PluggableSnapshotter.Sdk;

/// <summary>
/// Optional, beside <see cref="IFileSystem"/>: a backend that implements it is told when containerd sets up a
/// container's root filesystem on image layers, and when it removes one, so that its background work (a fill, a
/// prefetch) can make way for container starts, which wait on the CPUs and the disk that work would take.
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

    /// <summary>
    /// Called on every backend that implements it when such a snapshot is removed: a container is gone (<c>run --rm</c>,
    /// a task's clean-up; containerd 1.6 removes it from the snapshotter in its garbage collection, tens of milliseconds
    /// after the container's deletion). Another start often follows at once (the next step of a job, a restarted
    /// container), and the first tenth of a second of that start (the client, containerd, the shim) passes before its
    /// Prepare reaches the snapshotter. Must return at once. Does nothing unless implemented (backends written before it
    /// keep working).
    /// </summary>
    /// <param name="key">The snapshot's key as containerd sent it.</param>
    void ContainerRemoved(string key) { }
}
