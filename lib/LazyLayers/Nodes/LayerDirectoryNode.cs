using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>A directory of a layer view: its children are fixed once the view is built.</summary>
public sealed class LayerDirectoryNode(LayerInode inode, OwnerMapping owners) : LayerNode(inode, owners), INodeLookuper, INodeReaddirer, INodeStatfser
{
    private readonly Dictionary<string, LayerNode> _children = new(StringComparer.Ordinal);
    private FuseDirEntry[] _entries = [];

    /// <summary>The child nodes by name.</summary>
    public IReadOnlyDictionary<string, LayerNode> Children => _children;

    /// <summary>Sets the children (called once, by <see cref="LayerView"/>, before the view is mounted).</summary>
    public void SetChildren(IEnumerable<KeyValuePair<string, LayerNode>> children)
    {
        foreach (var (name, node) in children) _children[name] = node;
        _entries = [.. _children.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new FuseDirEntry(c.Key, c.Value, c.Value.Mode, c.Value.Inode.Ino))];
    }

    public ValueTask<FuseResult<FuseNode>> LookupAsync(ReadOnlyMemory<byte> name, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseNode>>(_children.TryGetValue(Encoding.UTF8.GetString(name.Span), out var child)
            ? child : Errno.ENOENT);

    public ValueTask<FuseResult<IReadOnlyList<FuseDirEntry>>> ReaddirAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<IReadOnlyList<FuseDirEntry>>>(_entries);

    public ValueTask<FuseResult<FuseStatfs>> StatfsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseStatfs>>(new FuseStatfs { Files = (ulong)_children.Count + 1 });
}
