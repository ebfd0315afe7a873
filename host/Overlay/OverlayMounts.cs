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
            return [new MountSpec("bind", layout.UpperPath(snapshot.ParentIds[0]), ["ro", "rbind"])];
        }
        options.Add("lowerdir=" + string.Join(':', snapshot.ParentIds.Select(layout.UpperPath)));
        return [new MountSpec("overlay", "overlay", options)];
    }
}
