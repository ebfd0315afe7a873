using System.Text;

namespace PluggableSnapshotter.Fuse.InMemory;

/// <summary>A symbolic link.</summary>
public sealed class MemorySymlink : MemoryNode, INodeReadlinker
{
    private readonly byte[] _target;

    /// <summary>Creates a link pointing at <paramref name="target"/> (not resolved or checked).</summary>
    public MemorySymlink(string target)
        : base(FileModes.Symlink | 0x1FF)
    {
        _target = Encoding.UTF8.GetBytes(target);
    }

    /// <inheritdoc/>
    public ValueTask<FuseResult<int>> ReadlinkAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_target.Length > destination.Length)
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.ENAMETOOLONG);
        }

        _target.CopyTo(destination);
        return ValueTask.FromResult<FuseResult<int>>(_target.Length);
    }

    /// <inheritdoc/>
    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = _target.Length };
}
