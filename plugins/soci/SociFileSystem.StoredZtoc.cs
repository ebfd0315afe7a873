using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci;

internal sealed partial class SociFileSystem
{
    /// <summary>
    /// The zTOC the store keeps for a layer, checked against its digest; read only when a mount builds the layer's tree
    /// (another snapshot of the layer serving already means the tree is there) or records its fill. A copy that fails or
    /// cannot be read is fetched from <paramref name="repository"/> by its digest and kept in its place
    /// (<see cref="LazyLayers.Store.StoredIndexFiles"/>, shared with estargz).
    /// </summary>
    /// <exception cref="IOException">The copy is bad and the registry could not give a good one.</exception>
    private Task<byte[]> StoredZtocAsync(ImageReference repository, string path, string digest, string layerDigest, CancellationToken cancellationToken) =>
        _storedZtocs.ReadAsync(layerDigest, path, digest, repository, ct => _ztocs.FetchBytesAsync(repository, digest, ct), cancellationToken);
}
