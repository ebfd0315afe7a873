using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// The soci backend's local layer store (<c>&lt;state&gt;/store/&lt;algorithm&gt;-&lt;hex&gt;/</c>): per layer digest, the
/// layer unpacked into real files (<c>fs/</c>) once the background fill has fetched the whole blob and checked its
/// digest, shared by every snapshot of that layer. A layer is freed with the last snapshot using it (or kept for reuse
/// with <see cref="StoreOptions.RetainUnusedLayers"/>, evicted oldest first when <see cref="StoreOptions.MaxBytes"/> needs
/// room). Only complete layers survive a restart; anything half-written is removed when the store opens.
/// <c>&lt;state&gt;/status.json</c> tells operators what is local.
/// </summary>
public sealed partial class LayerStore(string stateDirectory, StoreOptions options, ILogger<LayerStore>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private const string RootName = "store";
    private readonly Lock _lock = new();
    private readonly Lock _statusLock = new();
    private readonly Dictionary<string, StoredLayer> _layers = new(StringComparer.Ordinal);
    private readonly StoreTrash _trash = new(Path.Combine(stateDirectory, RootName), (ILogger?)logger ?? NullLogger.Instance);
    private bool _opened;

    public string Root { get; } = Path.Combine(stateDirectory, RootName);

    public string StatusPath { get; } = Path.Combine(stateDirectory, "status.json");

    public StoreOptions Options => options;

    /// <summary>Registers <paramref name="mountpoint"/> as serving the layer; returns whether the layer is local, and where.</summary>
    public string? Attach(string digest, string mountpoint, long bytesTotal, string? image, string? indexDigest)
    {
        lock (_lock)
        {
            OpenLocked();
            var layer = GetOrAddLocked(digest);
            layer.BytesTotal = bytesTotal > 0 ? bytesTotal : layer.BytesTotal;
            layer.Users.Add(mountpoint);
            layer.IndexDigest ??= indexDigest;
            layer.LastUsed = DateTimeOffset.UtcNow;
            if (image is not null && layer.Images.Add(image) && (layer.State == LayerState.Local || layer.PartialRecorded)) WriteRecordLocked(layer);
            return layer.State == LayerState.Local ? layer.FsPath : null;
        }
    }

    /// <summary>The unpacked layer and what it was mounted from, when the store holds it complete.</summary>
    public LocalLayer? Local(string digest)
    {
        lock (_lock)
        {
            OpenLocked();
            return _layers.TryGetValue(digest, out var layer) && layer.State == LayerState.Local
                ? new LocalLayer(layer.Digest, layer.MediaType, layer.BytesTotal, layer.FsPath, layer.ZtocPath, layer.ZtocDigest!, layer.IndexDigest)
                : null;
        }
    }

    /// <summary>The SOCI index a stored layer was mounted from.</summary>
    public string? IndexDigestOf(string digest)
    {
        lock (_lock) return _layers.GetValueOrDefault(digest)?.IndexDigest;
    }

    /// <summary>Drops a mount point; true when nothing uses the layer any more and it is not retained (the caller frees it).</summary>
    public bool Detach(string digest, string mountpoint)
    {
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer)) return false;
            layer.Users.Remove(mountpoint);
            layer.LastUsed = DateTimeOffset.UtcNow;
            return layer.Users.Count == 0 && (!options.RetainUnusedLayers || layer.State != LayerState.Local);
        }
    }

    /// <summary>Layers no snapshot uses that image <paramref name="image"/> used (left by an earlier run), unless retained.</summary>
    public IReadOnlyList<string> UnusedLayersOf(string image)
    {
        lock (_lock)
        {
            OpenLocked();
            if (options.RetainUnusedLayers) return [];
            return _layers.Values.Where(l => l.Users.Count == 0 && l.Images.Contains(image)).Select(l => l.Digest).ToList();
        }
    }

    /// <summary>
    /// Makes room for a fill of <paramref name="bytes"/> (evicting unused layers, oldest first) and reserves it; false when
    /// the limit cannot be met, so the layer stays on demand.
    /// </summary>
    public bool TryReserve(string digest, long bytes) => LockedThenEmptyTrash(() =>
    {
        var layer = GetOrAddLocked(digest);
        if (options.MaxBytes > 0 && !MakeRoomLocked(layer, bytes - layer.DiskBytes)) return false; // what it evicted goes all the same
        layer.DiskBytes = bytes;
        System.IO.Directory.CreateDirectory(layer.Directory);
        return true;
    });

    /// <summary>The folder a fill writes layer <paramref name="digest"/> into (blob and unpacked tree).</summary>
    public (string BlobPath, string FsPath) FillPaths(string digest)
    {
        lock (_lock)
        {
            var layer = GetOrAddLocked(digest);
            return (layer.BlobPath, layer.FsPath);
        }
    }

    public void MarkQueued(string digest) => Update(digest, l => l.State = l.State == LayerState.Local ? LayerState.Local : LayerState.Queued);

    public void MarkFilling(string digest, Func<long> progress) => Update(digest, l =>
    {
        if (l.State != LayerState.Local) (l.State, l.Progress, l.Error) = (LayerState.Filling, progress, null);
    });

    /// <summary>
    /// The fill did not complete. The half-applied tree goes; the fetched bytes stay for the next fill and for readers,
    /// unless <paramref name="discardFetched"/> (the blob failed its digest: some fetched byte is wrong). A layer local
    /// already stays so: its copy is verified, and mounts may be bound to it.
    /// </summary>
    public void MarkFailed(string digest, string error, bool discardFetched = true) => Update(digest, l =>
    {
        if (l.State == LayerState.Local) return;
        (l.State, l.Progress, l.Error) = (LayerState.Failed, null, error);
        if (discardFetched || !l.PartialRecorded)
        {
            ClosePartialLocked(l, delete: true);
            l.PartialRecorded = false;
            l.DiskBytes = 0;
            _trash.Discard(l.Directory);
        }
        else
        {
            _trash.Discard(l.FsPath);
        }
    });

    /// <summary>
    /// The layer is unpacked and verified in its <c>fs/</c>: its zTOC is kept beside it and both are recorded, so that a
    /// restart mounts it again without the network. Its partial files are moved to the trash and held apart there for
    /// <see cref="EmptyTrash"/> or <see cref="EmptyTrashAtIdlePriority"/> (the store's own deletions leave them): the
    /// caller first switches the mounts to the local copy, and deleting hundreds of MB costs the kernel CPU a container
    /// start wants. The partial blob itself stays open (read only) until those files are deleted: a read that comes
    /// before the caller has switched the mounts, or was under way then, takes its bytes from it, not from the registry.
    /// </summary>
    public void MarkLocal(string digest, string mediaType, long diskBytes, string ztocDigest, byte[] ztoc) => Update(digest, emptyTrash: false, l =>
    {
        File.WriteAllBytes(l.ZtocPath, ztoc);
        l.PartialRecorded = false;
        (l.State, l.Progress, l.Error, l.DiskBytes, l.MediaType, l.ZtocDigest) = (LayerState.Local, null, null, diskBytes + ztoc.Length, mediaType, ztocDigest);
        // Recorded local before the partial files go: a crash in between leaves a local layer with leftovers, which the
        // next open removes, not a partial record without its blob, which would make it drop the whole layer.
        WriteRecordLocked(l);
        ClosePartialLocked(l, delete: true, heldApart: true, retire: true); // the unpacked tree holds every byte now
    });

    /// <summary>Deletes a layer's local copy and forgets it (its fill must have stopped).</summary>
    public void Delete(string digest)
    {
        LockedThenEmptyTrash(() =>
        {
            if (_layers.TryGetValue(digest, out var layer)) DeleteLocked(layer);
            return true;
        });
        WriteStatus();
    }

    public LayerState StateOf(string digest)
    {
        lock (_lock)
        {
            OpenLocked();
            return _layers.GetValueOrDefault(digest)?.State ?? LayerState.Lazy;
        }
    }

    /// <summary>Bytes the store holds on disk or has reserved.</summary>
    public long DiskBytes
    {
        get
        {
            lock (_lock)
            {
                OpenLocked(); // a metrics scrape may come before any mount: the layers a previous run kept count
                return _layers.Values.Sum(l => l.UsedBytes);
            }
        }
    }

    /// <summary>How many layers are in <paramref name="state"/> (metrics).</summary>
    public int CountIn(LayerState state)
    {
        lock (_lock)
        {
            OpenLocked();
            return _layers.Values.Count(l => l.State == state);
        }
    }

    /// <summary>Compressed bytes local so far and in all, over the layers the store knows (the fill's progress, for metrics).</summary>
    public (long Local, long Total) FillProgress()
    {
        lock (_lock)
        {
            OpenLocked();
            return (_layers.Values.Sum(l => l.BytesLocal), _layers.Values.Sum(l => l.BytesTotal));
        }
    }

    /// <summary>Writes <c>status.json</c> (atomically: readers never see half a file).</summary>
    public void WriteStatus()
    {
        StoreStatus status;
        lock (_lock)
        {
            OpenLocked();
            status = new StoreStatus(DateTimeOffset.UtcNow, _layers.Values.Sum(l => l.UsedBytes), options.MaxBytes,
                _layers.Values.OrderBy(l => l.Digest, StringComparer.Ordinal)
                    .Select(l => new LayerStatus(l.Digest, l.State.ToString().ToLowerInvariant(), l.BytesLocal, l.BytesTotal, l.UsedBytes, l.Users.Count, l.Error))
                    .ToList());
        }
        lock (_statusLock)
        {
            var temporary = StatusPath + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(status, StoreJsonContext.Default.StoreStatus));
            File.Move(temporary, StatusPath, overwrite: true);
        }
    }

    private void Update(string digest, Action<StoredLayer> change) => Update(digest, emptyTrash: true, change);

    private void Update(string digest, bool emptyTrash, Action<StoredLayer> change)
    {
        bool Change()
        {
            if (!_layers.TryGetValue(digest, out var layer)) return false;
            change(layer);
            return true;
        }

        bool changed;
        if (emptyTrash) changed = LockedThenEmptyTrash(Change);
        else lock (_lock) changed = Change();
        if (changed) WriteStatus();
    }

    /// <summary>
    /// Deletes what the store has put in its trash (<see cref="MarkLocal"/> leaves a layer's partial files there), and
    /// closes the partial blobs local layers still kept open for their readers: their files go now.
    /// </summary>
    public void EmptyTrash()
    {
        CloseRetiredPartials();
        _trash.EmptyAll();
    }

    /// <summary><see cref="EmptyTrash"/> in the background, on a thread that runs only when the CPUs are otherwise idle.</summary>
    public void EmptyTrashAtIdlePriority()
    {
        CloseRetiredPartials();
        _trash.EmptyAtIdlePriority();
    }

    /// <summary>Completes once the background deletions begun so far have ended: await it before removing the store's folder.</summary>
    public Task TrashEmptiedInBackground => _trash.IdleEmptying;

    /// <summary>
    /// Runs <paramref name="work"/> under the store's lock, then deletes what is in the trash (what it discarded: a failed
    /// fill's tree, an evicted or freed layer with the partial files held apart for it) once the lock is released, even
    /// when it threw. A filled layer's partial files still held apart wait for its fill's deletion.
    /// </summary>
    private T LockedThenEmptyTrash<T>(Func<T> work)
    {
        try
        {
            lock (_lock) return work();
        }
        finally
        {
            _trash.Empty();
        }
    }

    private StoredLayer GetOrAddLocked(string digest)
    {
        if (!_layers.TryGetValue(digest, out var layer))
        {
            layer = new StoredLayer(digest, Path.Combine(Root, DirectoryName(digest)));
            _layers[digest] = layer;
        }
        return layer;
    }

    private void DeleteLocked(StoredLayer layer)
    {
        _layers.Remove(layer.Digest);
        ClosePartialLocked(layer, delete: false);
        _trash.Discard(layer.Directory); // deleted once the lock is released (the caller empties the trash)
        _trash.Release(layer.Digest); // its partial files held apart since it went local go with it
        LazyLayersLog.LayerFreed(_logger, layer.Digest);
    }

    private static void WriteRecordLocked(StoredLayer layer)
    {
        var record = new LayerRecord(layer.Digest, layer.BytesTotal, layer.DiskBytes, layer.IndexDigest, layer.MediaType, layer.ZtocDigest!,
            layer.Images.Order(StringComparer.Ordinal).ToList(), layer.State != LayerState.Local, layer.Lowers);
        var temporary = layer.RecordPath + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(record, StoreJsonContext.Default.LayerRecord));
        File.Move(temporary, layer.RecordPath, overwrite: true);
    }

    /// <summary>
    /// Loads the complete layers a previous run left and removes everything else (fills cut short by a stop or a crash:
    /// partial blobs, staging folders of the applier, layers without a record).
    /// </summary>
    private void OpenLocked()
    {
        if (_opened) return;
        _opened = true;
        System.IO.Directory.CreateDirectory(Root);
        _trash.Clear(); // a crash between a discard and its deletion
        foreach (var directory in System.IO.Directory.EnumerateDirectories(Root))
        {
            var layer = Load(directory);
            if (layer is null)
            {
                LazyLayersLog.StoreLeftoverRemoved(_logger, directory);
                System.IO.Directory.Delete(directory, recursive: true);
                continue;
            }
            foreach (var leftover in System.IO.Directory.EnumerateFileSystemEntries(directory))
            {
                var name = Path.GetFileName(leftover);
                if (layer.State == LayerState.Local ? name is "fs" or "layer.json" or "ztoc" : name is "layer.json" or "ztoc" or "blob.partial" or "blob.partial.ranges" or "tar.partial" or "tar.partial.spans") continue;
                LazyLayersLog.StoreLeftoverRemoved(_logger, leftover);
                if (System.IO.Directory.Exists(leftover)) System.IO.Directory.Delete(leftover, recursive: true);
                else File.Delete(leftover);
            }
            _layers[layer.Digest] = layer;
        }
    }

    private static StoredLayer? Load(string directory)
    {
        var candidate = new StoredLayer("", directory);
        if (!File.Exists(candidate.RecordPath) || !File.Exists(candidate.ZtocPath)) return null;
        LayerRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(File.ReadAllBytes(candidate.RecordPath), StoreJsonContext.Default.LayerRecord);
        }
        catch (JsonException)
        {
            return null;
        }
        if (record is null || !OciDigest.TryParse(record.ZtocDigest, out _) || !OciDigest.TryParse(record.Digest, out _) || DirectoryName(record.Digest) != Path.GetFileName(directory)) return null;
        if (record.Partial ? !File.Exists(candidate.BlobPath) : !System.IO.Directory.Exists(candidate.FsPath)) return null;
        if (record.Partial) DecompressedSpans.DiscardUnreadable(candidate.DecompressedPath);
        var layer = new StoredLayer(record.Digest, directory)
        {
            State = record.Partial ? LayerState.Lazy : LayerState.Local,
            PartialRecorded = record.Partial,
            Lowers = record.Lowers ?? [],
            BytesTotal = record.BytesTotal,
            DiskBytes = record.DiskBytes,
            IndexDigest = record.IndexDigest,
            MediaType = record.MediaType,
            ZtocDigest = record.ZtocDigest,
            DecompressedRecorded = record.Partial ? DecompressedSpans.RecordedBytes(candidate.DecompressedPath) : 0,
            PartialBytesRecorded = record.Partial ? PartialBlob.RecordedBytes(candidate.BlobPath) : 0,
            LastUsed = System.IO.Directory.GetLastWriteTimeUtc(directory),
        };
        layer.Images.UnionWith(record.Images);
        return layer;
    }

    /// <summary><c>sha256:abc</c> → <c>sha256-abc</c>; anything that is not a well-formed digest is refused (it names a folder).</summary>
    private static string DirectoryName(string digest)
    {
        var parsed = OciDigest.Parse(digest);
        return $"{parsed.Algorithm}-{parsed.Encoded}";
    }
}
