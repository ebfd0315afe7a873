using System.Collections.Concurrent;
using System.Text;

namespace PluggableSnapshotter.Fuse.InMemory;

/// <summary>
/// Base of the in-memory tree's nodes: fixed attributes and extended attributes. Subclass it for nodes with
/// custom content (tests do, to block or fail reads).
/// </summary>
public abstract class MemoryNode : FuseNode, INodeGetattrer, INodeGetxattrer, INodeListxattrer
{
    private static long s_lastIno = 1;
    private readonly ConcurrentDictionary<string, byte[]> _xattrs = new(StringComparer.Ordinal);

    /// <summary>Creates a node of the given st_mode (type and permission bits).</summary>
    protected MemoryNode(uint mode)
    {
        Mode = mode;
        Ino = (ulong)Interlocked.Increment(ref s_lastIno);
    }

    /// <summary>st_mode: type and permission bits.</summary>
    public uint Mode { get; }

    /// <summary>The inode number, fixed at creation and unique in the process.</summary>
    public ulong Ino { get; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }

    /// <summary>Modification time, to the nanosecond.</summary>
    public UnixTime ModificationTime { get; init; }

    /// <summary>Sets an extended attribute, e.g. <c>trusted.overlay.opaque</c> = "y".</summary>
    public void SetXattr(string name, ReadOnlySpan<byte> value) => _xattrs[name] = value.ToArray();

    /// <summary>Sets an extended attribute to a UTF-8 string value.</summary>
    public void SetXattr(string name, string value) => SetXattr(name, Encoding.UTF8.GetBytes(value));

    /// <inheritdoc/>
    public virtual ValueTask<FuseResult<FuseAttributes>> GetattrAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseAttributes>>(GetAttributes());

    /// <summary>The attributes reported for this node.</summary>
    protected virtual FuseAttributes GetAttributes() => new()
    {
        Mode = Mode,
        Ino = Ino,
        Uid = Uid,
        Gid = Gid,
        ModificationTime = ModificationTime,
    };

    /// <inheritdoc/>
    public ValueTask<FuseResult<int>> GetxattrAsync(ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_xattrs.IsEmpty || !_xattrs.TryGetValue(Encoding.UTF8.GetString(name.Span), out byte[]? value))
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.ENODATA);
        }

        if (value.Length <= destination.Length)
        {
            value.CopyTo(destination);
        }

        return ValueTask.FromResult<FuseResult<int>>(value.Length);
    }

    /// <inheritdoc/>
    public ValueTask<FuseResult<int>> ListxattrAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int length = 0;
        foreach (string name in _xattrs.Keys.Order(StringComparer.Ordinal))
        {
            int nameLength = Encoding.UTF8.GetByteCount(name);
            if (length + nameLength + 1 <= destination.Length)
            {
                Encoding.UTF8.GetBytes(name, destination.Span[length..]);
                destination.Span[length + nameLength] = 0;
            }

            length += nameLength + 1;
        }

        return ValueTask.FromResult<FuseResult<int>>(length);
    }
}
