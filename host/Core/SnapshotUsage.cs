using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>The disk a snapshot's own layer uses (not its parents').</summary>
/// <param name="Size">Bytes on disk.</param>
/// <param name="Inodes">Inodes used.</param>
internal readonly record struct SnapshotUsage(long Size, long Inodes);
