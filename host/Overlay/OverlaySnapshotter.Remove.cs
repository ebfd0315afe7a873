using System.Globalization;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    public Task RemoveAsync(string key, CancellationToken cancellationToken) => RemoveAsync(key, byContainerd: true, cancellationToken);

    /// <summary>
    /// Removes a snapshot. <paramref name="byContainerd"/>: containerd's Remove, not a clean-up of our own, so the backends
    /// drop the image's work too and hear of a container's end.
    /// </summary>
    private async Task RemoveAsync(string key, bool byContainerd, CancellationToken cancellationToken)
    {
        var (removed, orphans) = await _store.TransactAsync(table =>
        {
            var removed = table.Remove(key);
            return (removed, _options.AsynchronousRemove ? [] : OrphanDirectories(table));
        }, cancellationToken);
        // Told before the directories go: a container's upper directory can take a while to delete.
        if (byContainerd && IsContainerRoot(removed, key)) _preparer.ContainerRemoved(key);
        await DeleteDirectoriesAsync(orphans);
        if (removed.MappedLowers is { } views)
        {
            await RemoveMappedLowersAsync(views);
        }

        // The image's backends may keep work for it (an in-flight parallel pull): let them release it.
        var image = byContainerd ? ImageKey(removed.Info.Labels) : null;
        if (image is not null)
        {
            try
            {
                await _preparer.CleanImageAsync(image, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                HostLog.CleanImageFailed(_logger, e, image, key);
            }
        }
    }

    // As at its Prepare (or View): no target label, and a container's by its key and parent.
    private static bool IsContainerRoot(SnapshotRecord removed, string key) =>
        !removed.Info.Labels.ContainsKey(SnapshotLabels.TargetRef) && IsContainer(removed.Info.Kind, key, removed.Info.Parent);

    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var orphans = await _store.TransactAsync(OrphanDirectories, cancellationToken);
        await DeleteDirectoriesAsync(orphans);
    }

    // The image a snapshot belongs to, as backends know it (LayerRequest.ImageKey): its manifest digest, else its reference.
    private static string? ImageKey(IReadOnlyDictionary<string, string> labels) =>
        new LayerRequest { Mountpoint = "", Key = "", Namespace = "", Labels = labels }.ImageKey;

    /// <summary>Directories under snapshots/ that no snapshot owns (read inside the transaction that removed their owners).</summary>
    private List<string> OrphanDirectories(SnapshotTable table)
    {
        var result = new List<string>();
        if (!Directory.Exists(_layout.SnapshotsDirectory))
        {
            return result;
        }
        var ids = table.Ids();
        foreach (var directory in Directory.EnumerateDirectories(_layout.SnapshotsDirectory))
        {
            var name = Path.GetFileName(directory);
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? ids.Contains(id) : IsBeingCreated(directory))
            {
                continue;
            }
            result.Add(directory);
        }
        return result;
    }

    private bool IsBeingCreated(string directory)
    {
        lock (_creating)
        {
            return _creating.Contains(directory);
        }
    }

    private async Task DeleteDirectoriesAsync(IEnumerable<string> directories)
    {
        foreach (var directory in directories)
        {
            try
            {
                await DeleteSnapshotDirectoryAsync(directory);
            }
            catch (Exception e)
            {
                // Metadata is already gone; the next Cleanup retries.
                HostLog.SnapshotDirectoryNotRemoved(_logger, e, directory);
            }
        }
    }

    /// <summary>Unmounts whatever a backend left mounted in the directory (never deleting through a mount), then deletes it.</summary>
    private async Task DeleteSnapshotDirectoryAsync(string directory)
    {
        var fs = Path.Combine(directory, "fs");
        if (MountTable.IsMountPoint(fs))
        {
            try
            {
                await _preparer.UnmountAsync(fs, CancellationToken.None);
            }
            catch (Exception e)
            {
                HostLog.BackendUnmountFailed(_logger, e, fs);
            }
        }
        MountTable.UnmountAllUnder(directory);
        if (MountTable.MountsUnder(directory).Count > 0)
        {
            throw new IOException($"{directory} still has mounts; not deleting through them");
        }
        Directory.Delete(directory, recursive: true);
    }
}
