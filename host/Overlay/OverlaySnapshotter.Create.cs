using Microsoft.Extensions.Logging;
using Mono.Unix.Native;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

internal sealed partial class OverlaySnapshotter
{
    // Directories being created; Cleanup leaves them alone.
    private readonly HashSet<string> _creating = [];

    public async Task<PrepareResult> PrepareAsync(string key, string parent, IReadOnlyDictionary<string, string> labels,
        string? @namespace, CancellationToken cancellationToken)
    {
        var idMap = IdMapLabels.Parse(labels);
        var record = await CreateSnapshotAsync(SnapshotKind.Active, key, parent, labels, cancellationToken);
        var target = labels.GetValueOrDefault(SnapshotLabels.TargetRef);
        if (string.IsNullOrEmpty(target) && IsContainer(SnapshotKind.Active, key, parent)) _preparer.ContainerStarting(key);
        if (idMap is not null)
        {
            record = await MapIdsAsync(record, key, idMap, cancellationToken);
        }
        if (idMap is not null || string.IsNullOrEmpty(target))
        {
            return new PrepareResult(OverlayMounts.For(record, _layout, _features));
        }
        return await PrepareImageLayerAsync(record, key, target, labels, @namespace, cancellationToken);
    }

    /// <summary>
    /// Whether a snapshot (one without the target label, when active) is a container's root (or a client's mount of an
    /// image): a view, or an active snapshot that is no layer unpack, on a parent.
    /// </summary>
    private static bool IsContainer(SnapshotKind kind, string key, string parent) =>
        kind != SnapshotKind.Committed && !string.IsNullOrEmpty(parent) && !SnapshotKeys.IsLayerUnpack(key);

    /// <summary>
    /// Creates the snapshot's directory as <c>snapshots/new-*</c>, records the snapshot and renames the directory to its id
    /// inside the same transaction, so that either both exist or neither does.
    /// </summary>
    private async Task<SnapshotRecord> CreateSnapshotAsync(SnapshotKind kind, string key, string parent,
        IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_layout.SnapshotsDirectory);
        var temporary = Path.Combine(_layout.SnapshotsDirectory, $"new-{Guid.NewGuid():N}");
        lock (_creating)
        {
            _creating.Add(temporary);
        }
        try
        {
            Directory.CreateDirectory(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(Path.Combine(temporary, "fs"), (UnixFileMode)LibC.Octal("755"));
            if (kind == SnapshotKind.Active)
            {
                Directory.CreateDirectory(Path.Combine(temporary, "work"), (UnixFileMode)LibC.Octal("711"));
            }
            return await _store.TransactAsync(table =>
            {
                var record = table.Create(kind, key, parent, labels, Now);
                if (record.ParentIds.Count > 0)
                {
                    // The new upper dir's root takes the owner of the parent's root, as containerd does.
                    CopyOwner(_layout.UpperPath(record.ParentIds[0]), Path.Combine(temporary, "fs"));
                }
                Directory.Move(temporary, _layout.SnapshotDirectory(record.Id));
                return record;
            }, cancellationToken);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
            throw;
        }
        finally
        {
            lock (_creating)
            {
                _creating.Remove(temporary);
            }
        }
    }

    private static void CopyOwner(string from, string to)
    {
        if (Syscall.stat(from, out var stat) != 0)
        {
            throw new IOException($"stat {from}: {Stdlib.GetLastError()}");
        }
        if (stat.st_uid != 0 || stat.st_gid != 0)
        {
            if (LibC.lchown(to, stat.st_uid, stat.st_gid) != 0)
            {
                throw new IOException($"chown {to}: {Stdlib.GetLastError()}");
            }
        }
    }

}
