using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// The index files (soci's zTOCs, eStargz's TOCs) the <see cref="LayerStore"/> keeps beside its layers, read when a layer
/// mounts from the store (a restart, a second image sharing the layer). Each read is checked against the digest the
/// layer's record names; a copy that fails (a bad disk, a torn write) or cannot be read (EIO, gone) is fetched from the
/// registry by the backend, checked, and put in its place: a corrupt copy costs one fetch, not the layer. The bad copy
/// stays until a good one replaces it: deleting it first would make the next store open drop the layer, local files,
/// partial blob and all, when the fetch fails.
/// </summary>
/// <param name="store">The store the files are kept in.</param>
/// <param name="kind">What the backend calls its index, for errors ("zTOC", "TOC").</param>
/// <param name="rejected">The backend's warning for a stored copy that is fetched again.</param>
/// <param name="logger">The backend's logger.</param>
public sealed class StoredIndexFiles(LayerStore store, string kind, StoredIndexRejected rejected, ILogger logger)
{
    /// <summary>
    /// The index file at <paramref name="path"/> of layer <paramref name="layerDigest"/>, checked against
    /// <paramref name="digest"/>; when it fails, the bytes <paramref name="fetch"/> gets from <paramref name="repository"/>
    /// (checked against <paramref name="digest"/> too), kept in the store in its place.
    /// </summary>
    /// <exception cref="IOException">The stored copy is unusable and the fetch failed too: the message says both.</exception>
    public async Task<byte[]> ReadAsync(string layerDigest, string path, string digest, ImageReference repository,
        Func<CancellationToken, Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(fetch);
        string reason;
        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (Verifies(bytes, digest)) return bytes;
            reason = $"its {bytes.Length} bytes do not match its digest";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"reading it failed: {e.Message}"; // EIO, gone, not a file: fetched like a bad copy
        }
        rejected(logger, layerDigest, digest, path, reason);
        byte[] fetched;
        try
        {
            fetched = await fetch(cancellationToken).ConfigureAwait(false);
            if (!Verifies(fetched, digest)) throw new InvalidDataException($"the registry's {kind} does not match {digest}");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is HttpRequestException or RegistryException or IOException or InvalidDataException or OperationCanceledException)
        {
            throw new IOException(
                $"the stored {kind} {digest} of layer {layerDigest} is unusable ({reason}), and fetching it from {repository.Registry}/{repository.Repository} failed: {e.Message}", e);
        }
        Keep(layerDigest, fetched);
        return fetched;
    }

    /// <summary>The fetched copy in place of the bad one; a store that cannot write it only costs the next mount another fetch.</summary>
    private void Keep(string layerDigest, byte[] fetched)
    {
        try
        {
            // False: the layer left the store meanwhile, or its record names another index (nothing to replace then).
            if (!store.ReplaceIndexFile(layerDigest, fetched))
                LazyLayersLog.IndexFileNotReplaced(logger, layerDigest, "the layer is gone from the store or its record names another index");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LazyLayersLog.IndexFileNotReplaced(logger, layerDigest, e.Message);
        }
    }

    // sha256 or sha512, as the record names it.
    private static bool Verifies(byte[] bytes, string digest) => OciDigest.TryParse(digest, out var kept) && kept.Verifies(bytes);
}
