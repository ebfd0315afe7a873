using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>The kinds of snapshot, with containerd's wire values.</summary>
internal enum SnapshotKind
{
    /// <summary>Not a valid kind.</summary>
    Unknown = 0,

    /// <summary>A read-only view of a committed snapshot.</summary>
    View = 1,

    /// <summary>A writable snapshot, named by a key, that can be committed.</summary>
    Active = 2,

    /// <summary>An immutable snapshot, named by a name, that can be a parent.</summary>
    Committed = 3,
}
