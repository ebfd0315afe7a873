using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>How the snapshotter core drives its file system (SOCI's snapshotter options, under the same names).</summary>
internal sealed record SnapshotterOptions
{
    /// <summary>At startup, keep going when a remote snapshot cannot be mounted again (log a warning) instead of failing.</summary>
    public bool AllowInvalidMountsOnRestart { get; init; }

    /// <summary>When an image has no index, pull it with <see cref="IFileSystem.MountParallelAsync"/> instead of deferring to containerd.</summary>
    public bool ParallelPullAsFallback { get; init; }

    /// <summary>Never lazy-load: pull every image layer with <see cref="IFileSystem.MountParallelAsync"/>.</summary>
    public bool ParallelPullUnpack { get; init; }

    /// <summary>Remove only drops metadata; directories are deleted by the next Cleanup.</summary>
    public bool AsynchronousRemove { get; init; }

    /// <summary>Layers smaller than this many bytes (when the size is known) skip lazy loading and are unpacked locally.</summary>
    public long MinLayerSize { get; init; }
}
