using PluggableSnapshotter.Registry;

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
    private readonly Dictionary<string, Lazy<SharedLayer>> _layers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>How many layers have a shared tree.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _layers.Count;
        }
    }

    /// <summary>
    /// The shared layer of <paramref name="digest"/> as read from <paramref name="repository"/>, from <paramref name="build"/>
    /// when there is none. Keyed by repository too: a layer's content reads through the repository (its credentials, its
    /// mirrors) it was mounted from. Concurrent first mounts build it once; a build that throws is not kept.
    /// </summary>
    public SharedLayer GetOrBuild(ImageReference repository, string digest, Func<SharedLayer> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var key = Key(repository, digest);
        Lazy<SharedLayer> entry;
        lock (_lock)
        {
            if (!_layers.TryGetValue(key, out entry!))
            {
                entry = new Lazy<SharedLayer>(build, LazyThreadSafetyMode.ExecutionAndPublication);
                _layers.Add(key, entry);
            }
        }
        try
        {
            return entry.Value;
        }
        catch
        {
            lock (_lock)
            {
                if (_layers.TryGetValue(key, out var current) && current == entry) _layers.Remove(key);
            }
            throw;
        }
    }

    /// <summary>The shared layer of <paramref name="digest"/> from <paramref name="repository"/>, if one is built.</summary>
    public SharedLayer? Find(ImageReference repository, string digest)
    {
        lock (_lock) return _layers.GetValueOrDefault(Key(repository, digest)) is { IsValueCreated: true } entry ? entry.Value : null;
    }

    /// <summary>Forgets <paramref name="digest"/>'s shared layer from <paramref name="repository"/> (its last mount went).</summary>
    public void Forget(ImageReference repository, string digest)
    {
        lock (_lock) _layers.Remove(Key(repository, digest));
    }

    private static string Key(ImageReference repository, string digest) => $"{repository.Registry}/{repository.Repository}@{digest}";
}
