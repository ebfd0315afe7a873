using System.Text;

namespace PluggableSnapshotter.Fuse;

/// <summary>One directory entry as <see cref="INodeReaddirer"/> lists it.</summary>
/// <param name="Name">The entry's name in UTF-8 (no "/" or NUL, at most 255 bytes).</param>
/// <param name="Node">The child node; READDIRPLUS replies carry its attributes.</param>
/// <param name="Mode">The child's st_mode; only the type bits (<see cref="FileModes.TypeMask"/>) are used.</param>
/// <param name="Ino">The inode number shown in the entry (d_ino); 0 means the node id, as for <see cref="FuseAttributes.Ino"/>.</param>
public readonly record struct FuseDirEntry(ReadOnlyMemory<byte> Name, FuseNode Node, uint Mode, ulong Ino)
{
    /// <summary>Creates an entry from a .NET string name.</summary>
    public FuseDirEntry(string name, FuseNode node, uint mode, ulong ino)
        : this(Encoding.UTF8.GetBytes(name), node, mode, ino)
    {
    }
}
