using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>Id-mapped views: a second FUSE mount of a served layer's tree with owners shifted.</summary>
internal sealed partial class SociFileSystem
{
    /// <inheritdoc />
    public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        _mounts.IdMapMountAsync(mountpoint, activeLayerId, idMap, cancellationToken);
}
