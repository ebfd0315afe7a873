namespace PluggableSnapshotter.Sdk;

/// <summary>The expected ends of a mount operation, on which the host's chain branches (SOCI's sentinel errors).</summary>
public enum MountOutcome
{
    /// <summary>The layer is available at the mount point.</summary>
    Mounted,

    /// <summary>The image has no index this backend can use (SOCI's <c>ErrNoIndex</c>): the chain tries parallel pull or defers.</summary>
    NoIndex,

    /// <summary>The image is indexed but this layer has no zTOC (SOCI's <c>ErrNoZtoc</c>): the chain unpacks it locally.</summary>
    NoZtoc,

    /// <summary>The backend will not serve this layer (SOCI's <c>ErrDeferToContainerRuntime</c>): containerd fetches and applies it.</summary>
    DeferToContainerRuntime,

    /// <summary>
    /// The backend does not play the role this operation belongs to (the default implementation of every role operation):
    /// the chain moves on to its next backend.
    /// </summary>
    NotSupported,
}
