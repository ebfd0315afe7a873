using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>Id-mapped views: a second FUSE mount of a served layer's tree with owners shifted.</summary>
internal sealed partial class EstargzFileSystem
{
    /// <inheritdoc />
    public async Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMap);
        var key = Normalize(mountpoint);
        if (!_layers.TryGetValue(key, out var mounted))
            throw new InvalidOperationException($"the estargz backend serves no layer at {mountpoint} to id-map");
        var target = Path.Combine(Path.GetDirectoryName(key)!, "idmap", SafeName(activeLayerId));
        if (_views.ContainsKey(target)) return target;
        var created = !Directory.Exists(target);
        Directory.CreateDirectory(target);
        try
        {
            var root = LayerView.Build(mounted.Root, OwnerMapping.From(idMap), mounted.Content, _logger);
            var view = await FuseMount.MountAsync(target, root, MountOptions(mounted.Layer.Digest), _logger, cancellationToken).ConfigureAwait(false);
            if (!_views.TryAdd(target, view))
            {
                await view.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"an id-mapped view of {mountpoint} for {activeLayerId} is already mounted");
            }
        }
        catch
        {
            if (created) Directory.Delete(target);
            throw;
        }
        EstargzLog.IdMappedViewMounted(_logger, mounted.Layer.Digest, target);
        return target;
    }

    private static string SafeName(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
