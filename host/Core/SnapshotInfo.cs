using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Core;

/// <summary>What a snapshotter knows of one snapshot (containerd's <c>snapshots.Info</c>).</summary>
internal sealed record SnapshotInfo
{
    /// <summary>The kind of snapshot.</summary>
    public required SnapshotKind Kind { get; init; }

    /// <summary>The key (active, view) or name (committed).</summary>
    public required string Name { get; init; }

    /// <summary>The name of the committed parent, or empty.</summary>
    public string Parent { get; init; } = "";

    /// <summary>The snapshot's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>When the snapshot was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When the snapshot was last changed.</summary>
    public DateTimeOffset Updated { get; init; }
}
