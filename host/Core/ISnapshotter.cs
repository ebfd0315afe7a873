using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>
/// A containerd snapshotter (<c>snapshots.Snapshotter</c>), as the host serves it over gRPC.
/// </summary>
/// <remarks>
/// An <em>active</em> snapshot, named by a key, is made by Prepare (writable) or View (read-only) on top of an optional
/// committed parent; Commit turns an active snapshot into a <em>committed</em> one, named by a name, that can be a parent.
/// Keys and names share one namespace. Each method either does all it says or nothing: a failure leaves metadata and
/// directories as they were. Contract violations throw <see cref="SnapshotterException"/>.
/// </remarks>
internal interface ISnapshotter : IAsyncDisposable
{
    /// <summary>The snapshot named by <paramref name="key"/>.</summary>
    Task<SnapshotInfo> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Changes the mutable fields of a snapshot: <c>labels</c> or <c>labels.&lt;key&gt;</c> paths; with no paths, all labels are replaced.
    /// </summary>
    Task<SnapshotInfo> UpdateAsync(SnapshotInfo info, IReadOnlyList<string> fieldPaths, CancellationToken cancellationToken);

    /// <summary>The disk used by the snapshot's own layer.</summary>
    Task<SnapshotUsage> UsageAsync(string key, CancellationToken cancellationToken);

    /// <summary>The mounts of an active snapshot.</summary>
    Task<IReadOnlyList<MountSpec>> MountsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a writable active snapshot. With <see cref="SnapshotLabels.TargetRef"/> among the labels this may prepare the
    /// image layer itself and answer <see cref="PrepareResult.CommittedTarget"/> once the layer is committed under that name.
    /// </summary>
    /// <param name="key">The new snapshot's key.</param>
    /// <param name="parent">The committed parent's name, or empty.</param>
    /// <param name="labels">The snapshot's labels.</param>
    /// <param name="namespace">The containerd namespace from the request's metadata, or null to take it from the key.</param>
    /// <param name="cancellationToken">Cancels the operation; nothing is left behind.</param>
    Task<PrepareResult> PrepareAsync(string key, string parent, IReadOnlyDictionary<string, string> labels, string? @namespace, CancellationToken cancellationToken);

    /// <summary>Creates a read-only active snapshot of <paramref name="parent"/>.</summary>
    Task<IReadOnlyList<MountSpec>> ViewAsync(string key, string parent, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Commits the active snapshot <paramref name="key"/> as <paramref name="name"/>.</summary>
    Task CommitAsync(string name, string key, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Removes a snapshot that has no children.</summary>
    Task RemoveAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every snapshot that matches any of <paramref name="filters"/> (containerd's filter syntax; none matches all).</summary>
    IAsyncEnumerable<SnapshotInfo> WalkAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken);

    /// <summary>Deletes directories no snapshot owns any more.</summary>
    Task CleanupAsync(CancellationToken cancellationToken);
}
