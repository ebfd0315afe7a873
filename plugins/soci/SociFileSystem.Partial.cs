using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

internal sealed partial class SociFileSystem
{
    /// <summary>
    /// A layer the store holds in part (a restart, or another image sharing it): mounted from the kept zTOC with no index
    /// lookup, so the bytes fetched before serve even with the registry down; the rest is fetched on demand and filled.
    /// </summary>
    private async Task<MountResult> MountFromPartialAsync(LayerRequest layer, PartialLayer partial, string mountpoint, string? imageKey,
        CancellationToken cancellationToken)
    {
        var descriptor = new Descriptor { MediaType = partial.MediaType, Digest = partial.Digest, Size = partial.Size };
        var repository = ImageReference.Parse(layer.ImageReference!);
        var lowers = _mounts.LowerTrees(partial.Lowers);
        var indexDigest = layer.SociIndexDigest ?? partial.IndexDigest;
        // Read once: the tree's build (when no other snapshot serves the layer) and the fill's request both need it.
        var bytes = await StoredZtocAsync(repository, partial.ZtocPath, partial.ZtocDigest, partial.Digest, cancellationToken).ConfigureAwait(false);
        var mounted = await ServeAsync(mountpoint, repository, descriptor, () => ZtocSource.Parse(partial.ZtocDigest, bytes).Ztoc, null, null,
            tree => LowerDirectoryAttributes.Resolve(tree, lowers), null, cancellationToken).ConfigureAwait(false);
        SociLog.LayerMountedFromPartial(_logger, partial.Digest, mountpoint);
        if (_store.Attach(partial.Digest, mountpoint, partial.Size, imageKey, indexDigest) is { } localPath)
        {
            await _mounts.PromoteAsync(mounted, localPath).ConfigureAwait(false);
        }
        else
        {
            PrefetchStartupFiles(mounted);
            // The shared layer knows the archive's size; a zTOC is parsed again only if it went meanwhile.
            var uncompressedSize = _mounts.Shared.Find(repository, partial.Digest)?.Format as long? ?? ZtocSource.Parse(partial.ZtocDigest, bytes).Ztoc.UncompressedArchiveSize;
            _fill.Enqueue(new FillRequest(repository, descriptor, new LayerIndexFile(partial.ZtocDigest, bytes, uncompressedSize), mounted.Root,
                DateTimeOffset.UtcNow.AddMilliseconds(_options.BackgroundFill.DelayMilliseconds), CheckUnpackInput: CheckUnpackInput(mounted)));
        }
        return Mounted(indexDigest, local: false);
    }
}
