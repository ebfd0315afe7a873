namespace PluggableSnapshotter.Fuse.InMemory;

/// <summary>A device, fifo or socket: attributes only. A 0:0 character device is an overlayfs whiteout.</summary>
public sealed class MemorySpecialNode : MemoryNode
{
    /// <summary>Creates a special file; <paramref name="mode"/> carries its type (e.g. <see cref="FileModes.CharacterDevice"/>).</summary>
    public MemorySpecialNode(uint mode, uint major = 0, uint minor = 0)
        : base(mode)
    {
        Rdev = FuseAttributes.MakeDevice(major, minor);
    }

    /// <summary>The encoded device number (see <see cref="FuseAttributes.MakeDevice"/>).</summary>
    public uint Rdev { get; }

    /// <inheritdoc/>
    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Rdev = Rdev };
}
