using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>A directory of a layer view: its children are fixed once the view is built.</summary>
/// <remarks>
/// The children are one array of entries in the tree's (ordinal) order, looked up by binary search on their UTF-8 names:
/// no dictionary per directory. Names whose UTF-8 order differs from their ordinal order (characters beyond U+FFFF next
/// to ones from U+E000) are looked up through a dictionary instead.
/// </remarks>
public sealed class LayerDirectoryNode(LayerInode inode, OwnerMapping owners) : LayerNode(inode, owners), INodeLookuper, INodeReaddirer, INodeStatfser
{
    private FuseDirEntry[] _entries = [];
    private Dictionary<string, LayerNode>? _unorderedNames;

    /// <summary>The child entries (name, node) in the tree's order.</summary>
    public IReadOnlyList<FuseDirEntry> Entries => _entries;

    /// <summary>Sets the children, in ordinal order of their names (called once, by <see cref="LayerView"/>, before the view is mounted).</summary>
    public void SetChildren(IReadOnlyList<KeyValuePair<string, LayerNode>> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        var entries = new FuseDirEntry[children.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var (name, node) = children[i];
            entries[i] = new FuseDirEntry(name, node, node.Mode, node.Inode.Ino);
        }
        _entries = entries;
        for (var i = 1; i < entries.Length; i++)
        {
            if (entries[i - 1].Name.Span.SequenceCompareTo(entries[i].Name.Span) < 0) continue;
            _unorderedNames = children.ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
            break;
        }
    }

    /// <summary>
    /// Takes <paramref name="other"/>'s entries as they are (called once, by <see cref="LayerView"/>, before the view is
    /// mounted): a chain's copy of a directory whose children are all the shared ones lists them without a copy.
    /// </summary>
    public void ShareChildren(LayerDirectoryNode other)
    {
        ArgumentNullException.ThrowIfNull(other);
        (_entries, _unorderedNames) = (other._entries, other._unorderedNames);
    }

    /// <summary>The child named <paramref name="name"/> (UTF-8), or null.</summary>
    public LayerNode? Find(ReadOnlySpan<byte> name)
    {
        if (_unorderedNames is { } names) return names.GetValueOrDefault(Encoding.UTF8.GetString(name));
        int low = 0, high = _entries.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var order = _entries[middle].Name.Span.SequenceCompareTo(name);
            if (order == 0) return (LayerNode)_entries[middle].Node;
            if (order < 0) low = middle + 1;
            else high = middle - 1;
        }
        return null;
    }

    public ValueTask<FuseResult<FuseNode>> LookupAsync(ReadOnlyMemory<byte> name, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseNode>>(Find(name.Span) is { } child ? child : Errno.ENOENT);

    public ValueTask<FuseResult<IReadOnlyList<FuseDirEntry>>> ReaddirAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<IReadOnlyList<FuseDirEntry>>>(_entries);

    public ValueTask<FuseResult<FuseStatfs>> StatfsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseStatfs>>(new FuseStatfs { Files = (ulong)_entries.Length + 1 });
}
