using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// A layer's kept index file (a zTOC, an eStargz TOC) that no longer matches the digest its record names: a bad disk or
/// a torn write. A good one fetched by the backend takes its place.
/// </summary>
public sealed partial class LayerStore
{
    /// <summary>
    /// Keeps <paramref name="bytes"/> as layer <paramref name="digest"/>'s index file (written beside it and renamed into
    /// place) when they match the index digest its record names; false when they do not or the layer is gone.
    /// </summary>
    public bool ReplaceIndexFile(string digest, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer) || !OciDigest.TryParse(layer.ZtocDigest, out var expected) || !expected.Verifies(bytes)) return false;
            if (!System.IO.Directory.Exists(layer.Directory)) return false;
            var temporary = layer.ZtocPath + ".tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, layer.ZtocPath, overwrite: true);
            return true;
        }
    }
}
