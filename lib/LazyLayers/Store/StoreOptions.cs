using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>The local layer store (<c>store:</c> in the soci plugin's settings).</summary>
public sealed record StoreOptions
{
    /// <summary>Bytes the store may hold on disk (unpacked layers and fills in progress); 0 for no limit.</summary>
    [ConfigurationKeyName("max_bytes")]
    public long MaxBytes { get; init; }

    /// <summary>
    /// Keep a layer after the last snapshot using it is removed, for the next pull of any image that shares it (evicted
    /// oldest first when <see cref="MaxBytes"/> needs room). Off: the layer is freed with its last snapshot.
    /// </summary>
    [ConfigurationKeyName("retain_unused_layers")]
    public bool RetainUnusedLayers { get; init; }
}
