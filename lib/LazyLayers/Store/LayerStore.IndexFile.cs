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
        string path;
        lock (_lock)
        {
            if (!_layers.TryGetValue(digest, out var layer) || !OciDigest.TryParse(layer.ZtocDigest, out var expected) || !expected.Verifies(bytes)) return false;
            path = layer.ZtocPath;
        }
        // Written outside the store's lock (a zTOC can be megabytes; metrics and attaches take the lock), under a name of
        // its own so concurrent replacements do not share a temporary file; renamed into place under the lock.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            lock (_lock)
            {
                if (!_layers.ContainsKey(digest) || !System.IO.Directory.Exists(Path.GetDirectoryName(path))) return false;
                File.Move(temporary, path, overwrite: true);
                return true;
            }
        }
        catch (DirectoryNotFoundException)
        {
            return false; // the layer was removed meanwhile
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary); // left only when not renamed into place
        }
    }
}
