using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>A symbolic link of a layer view.</summary>
public sealed class LayerSymlinkNode(LayerInode inode, OwnerMapping owners) : LayerNode(inode, owners), INodeReadlinker
{
    private readonly byte[] _target = Encoding.UTF8.GetBytes(inode.LinkTarget);

    public ValueTask<FuseResult<int>> ReadlinkAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_target.Length > destination.Length) return ValueTask.FromResult<FuseResult<int>>(Errno.ENAMETOOLONG);
        _target.CopyTo(destination);
        return ValueTask.FromResult<FuseResult<int>>(_target.Length);
    }
}
