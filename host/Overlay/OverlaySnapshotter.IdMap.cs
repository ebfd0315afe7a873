using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    /// <summary>
    /// An id-mapped active snapshot (labels <c>uidmapping</c>/<c>gidmapping</c>) sees each parent through an id-mapped view
    /// the preparer makes (through the backend that serves the layer, or one that copies it), and its own upper dir is
    /// owned by the container's root on the host. On any failure the snapshot is removed again.
    /// </summary>
    private async Task<SnapshotRecord> MapIdsAsync(SnapshotRecord record, string key, IdMap idMap, CancellationToken cancellationToken)
    {
        var views = new List<string>();
        try
        {
            var activeId = record.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var parents = await _store.TransactAsync(
                table => table.All().Where(info => info.Kind == SnapshotKind.Committed).ToDictionary(info => table.Get(info.Name).Id), cancellationToken);
            foreach (var parentId in record.ParentIds)
            {
                var labels = parents.TryGetValue(parentId, out var info) ? info.Labels : new Dictionary<string, string>();
                views.Add(await _preparer.MapIdsAsync(_layout.UpperPath(parentId), labels, activeId, idMap, cancellationToken));
            }
            var (uid, gid) = idMap.HostRoot;
            if (LibC.lchown(_layout.UpperPath(record.Id), uid, gid) != 0)
            {
                throw new IOException($"chown {_layout.UpperPath(record.Id)} to {uid}:{gid} failed");
            }
            return await _store.TransactAsync(table => table.SetMappedLowers(key, views), cancellationToken);
        }
        catch
        {
            await RemoveMappedLowersAsync(views);
            await RemoveAsync(key, byContainerd: false, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Unmounts and deletes the id-mapped views an active snapshot used.</summary>
    private async Task RemoveMappedLowersAsync(IEnumerable<string> views)
    {
        foreach (var view in views)
        {
            try
            {
                if (MountTable.IsMountPoint(view))
                {
                    await _preparer.UnmountAsync(view, CancellationToken.None);
                }
                MountTable.UnmountAllUnder(view);
                if (Directory.Exists(view) && MountTable.MountsUnder(view).Count == 0)
                {
                    Directory.Delete(view, recursive: true);
                }
            }
            catch (Exception e)
            {
                HostLog.IdMappedViewNotRemoved(_logger, e, view);
            }
        }
    }
}
