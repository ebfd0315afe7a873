using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Metadata;

/// <summary>One row of the metadata store: a snapshot with its layer directory id and its chain of parents.</summary>
/// <param name="Id">The layer directory id (<c>snapshots/&lt;id&gt;</c>); never reused.</param>
/// <param name="Kind">Active, view or committed.</param>
/// <param name="ParentIds">The ids of every ancestor, nearest first.</param>
/// <param name="Info">The snapshot's public description.</param>
/// <param name="MappedLowers">For an id-mapped active snapshot, the id-mapped views of its parents (nearest first) that replace their directories as lower dirs.</param>
internal sealed record SnapshotRecord(long Id, SnapshotKind Kind, IReadOnlyList<long> ParentIds, SnapshotInfo Info, IReadOnlyList<string>? MappedLowers = null);
