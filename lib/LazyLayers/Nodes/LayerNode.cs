using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// A FUSE node over one <see cref="LayerInode"/> as one view shows it (owners mapped). Attributes and xattrs come from
/// the zTOC; subclasses add what their type serves (lookup and listing, content, link target).
/// </summary>
public class LayerNode(LayerInode inode, OwnerMapping owners) : FuseNode, INodeGetattrer, INodeGetxattrer, INodeListxattrer
{
    public LayerInode Inode { get; } = inode;

    /// <summary>How this view shows owners.</summary>
    public OwnerMapping Owners { get; } = owners;

    /// <summary>st_mode: the type bits of the inode's kind and its permission bits.</summary>
    public uint Mode => TypeBits(Inode.Type) | Inode.Permissions;

    public ValueTask<FuseResult<FuseAttributes>> GetattrAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseAttributes>>(new FuseAttributes
        {
            Mode = Mode,
            Ino = Inode.Ino,
            Size = Inode.Type switch
            {
                LayerInodeType.Regular => Inode.Size,
                LayerInodeType.Symlink => Encoding.UTF8.GetByteCount(Inode.LinkTarget),
                LayerInodeType.Directory => 4096,
                _ => 0,
            },
            LinkCount = Inode.LinkCount,
            Uid = Owners.Uid(Inode.Uid),
            Gid = Owners.Gid(Inode.Gid),
            Rdev = Inode.Type is LayerInodeType.CharacterDevice or LayerInodeType.BlockDevice
                ? FuseAttributes.MakeDevice(Inode.DevMajor, Inode.DevMinor) : 0,
            ModificationTime = Inode.ModificationTime,
        });

    public ValueTask<FuseResult<int>> GetxattrAsync(ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (Inode.Xattrs is not { } xattrs || !xattrs.TryGetValue(Encoding.UTF8.GetString(name.Span), out var value))
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.ENODATA);
        }
        if (value.Length <= destination.Length) value.CopyTo(destination);
        return ValueTask.FromResult<FuseResult<int>>(value.Length);
    }

    public ValueTask<FuseResult<int>> ListxattrAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var length = 0;
        foreach (var name in Inode.Xattrs?.Keys ?? Enumerable.Empty<string>())
        {
            var nameLength = Encoding.UTF8.GetByteCount(name);
            if (length + nameLength + 1 <= destination.Length)
            {
                Encoding.UTF8.GetBytes(name, destination.Span[length..]);
                destination.Span[length + nameLength] = 0;
            }
            length += nameLength + 1;
        }
        return ValueTask.FromResult<FuseResult<int>>(length);
    }

    public static uint TypeBits(LayerInodeType type) => type switch
    {
        LayerInodeType.Regular => FileModes.RegularFile,
        LayerInodeType.Directory => FileModes.Directory,
        LayerInodeType.Symlink => FileModes.Symlink,
        LayerInodeType.CharacterDevice => FileModes.CharacterDevice,
        LayerInodeType.BlockDevice => FileModes.BlockDevice,
        _ => FileModes.Fifo,
    };
}
