namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// The <see cref="SharedLayer"/> of each layer digest a backend serves: built by the first mount of the layer, reused by
/// every later one, forgotten when the layer's last mount goes (<see cref="Mounts.LayerMounts"/>) so the tree is freed;
/// after a restart the first mount builds it again from the kept index.
/// </summary>
/// <remarks>
/// A mount that took the shared layer just before the last other mount went keeps serving it; a later mount then builds
/// its own. Both are correct, only not shared.
/// </remarks>
public sealed class SharedLayers
{
    private readonly Dictionary<string, SharedLayer> _layers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>How many layers have a shared tree.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _layers.Count;
        }
    }

    /// <summary>The shared layer of <paramref name="digest"/>, from <paramref name="build"/> when there is none (built outside the lock; the first one kept wins).</summary>
    public SharedLayer GetOrBuild(string digest, Func<SharedLayer> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        lock (_lock)
        {
            if (_layers.TryGetValue(digest, out var existing)) return existing;
        }
        var built = build();
        lock (_lock)
        {
            return _layers.TryAdd(digest, built) ? built : _layers[digest];
        }
    }

    /// <summary>The shared layer of <paramref name="digest"/>, if one is kept.</summary>
    public SharedLayer? Find(string digest)
    {
        lock (_lock) return _layers.GetValueOrDefault(digest);
    }

    /// <summary>Forgets <paramref name="digest"/>'s shared layer (its last mount went).</summary>
    public void Forget(string digest)
    {
        lock (_lock) _layers.Remove(digest);
    }
}
