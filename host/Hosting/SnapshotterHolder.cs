using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>Hands the snapshotter, opened at startup, to the gRPC service.</summary>
internal sealed class SnapshotterHolder
{
    private ISnapshotter? _snapshotter;

    public ISnapshotter Snapshotter => _snapshotter ?? throw new InvalidOperationException("the snapshotter is not started");

    /// <summary>Whether the snapshotter is open (what the health endpoint reports).</summary>
    public bool IsReady => _snapshotter is not null;

    public void Set(ISnapshotter snapshotter) => _snapshotter = snapshotter;
}
