using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>The mounts containerd's overlayfs snapshotter returns for a snapshot, built the same way.</summary>
internal static class OverlayMounts
{
    public static IReadOnlyList<MountSpec> For(SnapshotRecord snapshot, SnapshotLayout layout, OverlayFeatures features)
    {
        if (snapshot.ParentIds.Count == 0)
        {
            // A single layer cannot be an overlay: bind its directory.
            var access = snapshot.Kind == SnapshotKind.View ? "ro" : "rw";
            return [new MountSpec("bind", layout.UpperPath(snapshot.Id), [access, "rbind"])];
        }
        var options = new List<string>();
        if (features.IndexOff)
        {
            options.Add("index=off");
        }
        if (features.UserXattr)
        {
            options.Add("userxattr");
        }
        if (snapshot.Kind == SnapshotKind.Active)
        {
            options.Add($"workdir={layout.WorkPath(snapshot.Id)}");
            options.Add($"upperdir={layout.UpperPath(snapshot.Id)}");
        }
        else if (snapshot.ParentIds.Count == 1)
        {
            // A view of one layer is a read-only bind of it.
            return [new MountSpec("bind", Lowers(snapshot, layout)[0], ["ro", "rbind"])];
        }
        options.Add("lowerdir=" + string.Join(':', Lowers(snapshot, layout)));
        return [new MountSpec("overlay", "overlay", options)];
    }

    // The parents' layer directories, or their id-mapped views for an id-mapped snapshot.
    private static IReadOnlyList<string> Lowers(SnapshotRecord snapshot, SnapshotLayout layout) =>
        snapshot.MappedLowers ?? snapshot.ParentIds.Select(layout.UpperPath).ToList();
}
