using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// Layers not local yet: the compressed bytes readers and the fill fetched (<c>blob.partial</c> and its range map), and
/// the record and zTOC that let such a layer mount again after a restart without the network.
/// </summary>
public sealed partial class LayerStore
{
    /// <summary>
    /// The partial blob of a layer that is mounted or recorded and not local, opened (or created) on first use; for a layer
    /// made local, the blob it had until its files are deleted (<see cref="EmptyTrash"/>; every byte in it, none written
    /// any more); null when the layer is local otherwise, unknown (freed) or of unknown size.
    /// </summary>
    public PartialBlob? Partial(string digest)
    {
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer) || layer.BytesTotal <= 0) return null;
            if (layer.State == LayerState.Local) return layer.Retiring;
            if (layer.Partial is null)
            {
                System.IO.Directory.CreateDirectory(layer.Directory);
                // Without a size limit nothing needs asking: a read that keeps its bytes takes no store lock.
                layer.Partial = PartialBlob.Open(layer.BlobPath, layer.BytesTotal, options.MaxBytes > 0 ? bytes => TryGrowPartial(layer, bytes) : null);
                layer.PartialBytesRecorded = 0;
            }
            return layer.Partial;
        }
    }

    /// <summary>
    /// Room for <paramref name="bytes"/> more of <paramref name="layer"/>'s partial blob (evicting unused layers, oldest
    /// first); a fill's reservation covers its blob already. False when there is none: the bytes are not kept.
    /// </summary>
    private bool TryGrowPartial(StoredLayer layer, long bytes)
    {
        bool room;
        lock (_lock)
        {
            if (!_layers.TryGetValue(layer.Digest, out var current) || current != layer) return false;
            if (options.MaxBytes <= 0) return true;
            var present = layer.Partial?.BytesPresent ?? 0;
            var additional = Math.Max(0, present + bytes - Math.Max(layer.DiskBytes, present));
            room = additional == 0 || MakeRoomLocked(layer, additional);
        }
        EmptyTrashInBackground();
        return room;
    }

    /// <summary>
    /// Keeps what a layer mounted on demand needs to mount again with no network (its zTOC, media type, the digests of the
    /// lower layers of its index), so that the bytes fetched for it serve after a restart too.
    /// </summary>
    public void RecordPartial(string digest, string mediaType, string ztocDigest, byte[] ztoc, IReadOnlyList<string> lowers)
    {
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer) || layer.State == LayerState.Local || layer.PartialRecorded) return;
            System.IO.Directory.CreateDirectory(layer.Directory);
            File.WriteAllBytes(layer.ZtocPath, ztoc);
            (layer.MediaType, layer.ZtocDigest, layer.Lowers, layer.PartialRecorded) = (mediaType, ztocDigest, lowers, true);
            WriteRecordLocked(layer);
        }
    }

    /// <summary>A layer not local whose record and zTOC the store keeps (it mounts without the index), else null.</summary>
    public PartialLayer? Resumable(string digest)
    {
        lock (_lock)
        {
            OpenLocked();
            return _layers.TryGetValue(digest, out var layer) && layer.State != LayerState.Local && layer.PartialRecorded && layer.ZtocDigest is not null
                ? new PartialLayer(layer.Digest, layer.MediaType, layer.BytesTotal, layer.ZtocPath, layer.ZtocDigest, layer.IndexDigest, layer.Lowers)
                : null;
        }
    }

    /// <summary>Closes the partial blobs layers made local kept open for their readers (<see cref="MarkLocal"/>).</summary>
    private void CloseRetiredPartials()
    {
        lock (_lock)
        {
            foreach (var layer in _layers.Values) CloseRetiredLocked(layer);
        }
    }

    // Its files were moved to the trash when the layer went local: the close finds nothing left to delete at their paths.
    private static void CloseRetiredLocked(StoredLayer layer)
    {
        var retiring = layer.Retiring;
        layer.Retiring = null;
        try
        {
            retiring?.Close(delete: true);
        }
        catch (IOException)
        {
            // Nothing was left at its paths to delete: the handle is closed all the same.
        }
    }

    /// <summary>Closes every open partial blob (the file system is stopping; the files and their maps stay).</summary>
    public void ClosePartials()
    {
        lock (_lock)
        {
            foreach (var layer in _layers.Values) ClosePartialLocked(layer, delete: false);
        }
    }

    /// <summary>
    /// Closes the layer's partial blob and decompressed spans; with <paramref name="delete"/>, moves their files to the
    /// trash (deleted once the lock is released: the caller empties it), held apart there for the layer with
    /// <paramref name="heldApart"/> (<see cref="StoreTrash.Discard"/>). With <paramref name="retire"/> (and delete) the
    /// partial blob stays open, its files moved, as <see cref="StoredLayer.Retiring"/>.
    /// </summary>
    private void ClosePartialLocked(StoredLayer layer, bool delete, bool heldApart = false, bool retire = false)
    {
        CloseRetiredLocked(layer);
        retire &= delete;
        if (retire) layer.Partial?.Retire(); // before its files move: a map save due now must not write one where they were
        layer.PartialBytesRecorded = delete ? 0 : layer.Partial?.BytesPresent ?? layer.PartialBytesRecorded; // still on disk unless deleted
        layer.DecompressedRecorded = delete ? 0 : layer.Decompressed?.BytesPresent ?? layer.DecompressedRecorded;
        // Closed with delete: no last save of their maps (which would write a map again where it was); their files are
        // moved out first, so the close finds nothing left to delete.
        if (delete)
        {
            // Closed before its files move, as the partial blob is retired: a span write finishing now must not save its
            // map again where the files were (the layer just went local, readers may still be decompressing).
            layer.Decompressed?.Close(delete: false);
            foreach (var path in new[] { layer.BlobPath, layer.BlobPath + ".ranges", layer.DecompressedPath, DecompressedSpans.MapPathOf(layer.DecompressedPath) })
                _trash.Discard(path, heldApart ? layer.Digest : null);
        }
        if (retire) layer.Retiring = layer.Partial;
        else layer.Partial?.Close(delete);
        layer.Partial = null;
        layer.Decompressed?.Close(delete);
        layer.Decompressed = null;
    }
}
