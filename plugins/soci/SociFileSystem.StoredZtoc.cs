using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci;

internal sealed partial class SociFileSystem
{
    /// <summary>
    /// The zTOC the store keeps for a layer, checked against its digest; read only when a mount builds the layer's tree
    /// (another snapshot of the layer serving already means the tree is there) or records its fill. A copy that fails (a
    /// bad disk, a torn write) or cannot be read has the zTOC fetched from <paramref name="repository"/> by its digest,
    /// kept in its place: a corrupt copy costs one fetch, not the layer. The bad copy stays until a good one replaces it:
    /// deleting it first would make the next store open drop the layer, local files and all, when the fetch fails.
    /// </summary>
    /// <exception cref="IOException">The copy is bad and the registry could not give a good one.</exception>
    private async Task<byte[]> StoredZtocAsync(ImageReference repository, string path, string digest, string layerDigest, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (Verifies(bytes, digest)) return bytes;
        }
        catch (IOException)
        {
            // Missing or unreadable (EIO): fetched below like a bad copy.
        }
        SociLog.StoredZtocRejected(_logger, layerDigest, digest, path);
        byte[] fetched;
        try
        {
            fetched = await _ztocs.FetchBytesAsync(repository, digest, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or RegistryException or IOException or InvalidDataException or OperationCanceledException)
        {
            throw new IOException(
                $"the stored zTOC {digest} of layer {layerDigest} is unusable (wrong digest or unreadable), and fetching it from {repository.Registry}/{repository.Repository} failed: {e.Message}", e);
        }
        _store.ReplaceIndexFile(layerDigest, fetched);
        return fetched;
    }

    /// <summary>The stored zTOC, checked, when a mount finds the layer's shared tree gone after it decided not to read it (rare: no fallback).</summary>
    private static byte[] StoredZtoc(string path, string digest, string layerDigest)
    {
        var bytes = File.ReadAllBytes(path);
        return Verifies(bytes, digest) ? bytes : throw new InvalidDataException($"the stored zTOC of layer {layerDigest} no longer matches its digest {digest}");
    }

    // sha256 or sha512, as the index named it.
    private static bool Verifies(byte[] bytes, string digest) => OciDigest.TryParse(digest, out var kept) && kept.Verifies(bytes);
}
