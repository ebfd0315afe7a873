namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// Layers not local yet: their decompressed spans (<c>tar.partial</c>, <see cref="DecompressedSpans"/>), counted in the
/// store's size and freed with the partial blob (the layer goes local, fails its digest, or is removed or evicted).
/// </summary>
public sealed partial class LayerStore
{
    /// <summary>
    /// The decompressed spans of a layer that is mounted or recorded and not local, opened (or created) on first use;
    /// null when the layer is local, unknown or of unknown size, or its file holds another span layout (another zTOC of
    /// the same layer is being served: that one decompresses as before).
    /// </summary>
    public DecompressedSpans? Decompressed(string digest, long uncompressedSize, int spanCount, string layout)
    {
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer) || layer.State == LayerState.Local || uncompressedSize <= 0) return null;
            if (layer.Decompressed is { } open)
                return open.Size == uncompressedSize && open.SpanCount == spanCount && open.Layout == layout ? open : null;
            System.IO.Directory.CreateDirectory(layer.Directory);
            layer.Decompressed = DecompressedSpans.Open(layer.DecompressedPath, uncompressedSize, spanCount, layout, bytes => TryGrow(layer, bytes));
            layer.DecompressedRecorded = 0;
            return layer.Decompressed;
        }
    }

    /// <summary>Whether the store holds decompressed spans of <paramref name="digest"/>, open or recorded by an earlier run.</summary>
    public bool HoldsDecompressed(string digest)
    {
        lock (_lock)
        {
            return _layers.TryGetValue(digest, out var layer) && layer.State != LayerState.Local &&
                (layer.Decompressed?.BytesPresent ?? layer.DecompressedRecorded) > 0;
        }
    }

    /// <summary>Room for <paramref name="bytes"/> more of <paramref name="layer"/> (evicting unused layers, oldest first); false when there is none.</summary>
    private bool TryGrow(StoredLayer layer, long bytes)
    {
        bool room;
        lock (_lock)
        {
            if (!_layers.TryGetValue(layer.Digest, out var current) || current != layer) return false;
            room = options.MaxBytes <= 0 || MakeRoomLocked(layer, bytes);
        }
        EmptyTrashInBackground();
        return room;
    }

    /// <summary>What an eviction for a reader's bytes discarded is deleted off the reader's thread (a FUSE request waits on it).</summary>
    private void EmptyTrashInBackground()
    {
        if (_trash.HasDiscards) ThreadPool.UnsafeQueueUserWorkItem(static trash => trash.Empty(), _trash, preferLocal: false);
    }

    /// <summary>Evicts layers no snapshot uses (oldest first, never <paramref name="layer"/>) until <paramref name="additional"/> bytes fit under max_bytes.</summary>
    private bool MakeRoomLocked(StoredLayer layer, long additional)
    {
        while (_layers.Values.Sum(l => l.UsedBytes) + additional > options.MaxBytes)
        {
            var victim = _layers.Values.Where(l => l.Users.Count == 0 && l.State is LayerState.Local or LayerState.Lazy or LayerState.Failed && l != layer)
                .MinBy(l => l.LastUsed);
            if (victim is null) return false;
            LazyLayersLog.LayerEvicted(_logger, victim.Digest, victim.UsedBytes);
            DeleteLocked(victim);
        }
        return true;
    }
}
