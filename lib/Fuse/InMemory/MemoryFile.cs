namespace PluggableSnapshotter.Fuse.InMemory;

/// <summary>A regular file whose content is held in memory.</summary>
public class MemoryFile : MemoryNode, INodeReader, INodeMemoryReader
{
    /// <summary>Creates a file with the given content and permission bits (e.g. 0x1A4 for 0644).</summary>
    public MemoryFile(ReadOnlyMemory<byte> content, uint permissions = 0x1A4)
        : base(FileModes.RegularFile | (permissions & 0xFFF))
    {
        Content = content;
    }

    /// <summary>The file's bytes.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <inheritdoc/>
    public virtual ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset >= Content.Length)
        {
            return ValueTask.FromResult<FuseResult<int>>(0);
        }

        ReadOnlyMemory<byte> source = Content[(int)offset..];
        int count = Math.Min(source.Length, destination.Length);
        source[..count].CopyTo(destination);
        return ValueTask.FromResult<FuseResult<int>>(count);
    }

    /// <inheritdoc/>
    public virtual ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> rest = offset >= Content.Length ? ReadOnlyMemory<byte>.Empty : Content[(int)offset..];
        return ValueTask.FromResult<FuseResult<ReadOnlyMemory<byte>>>(rest[..Math.Min(length, rest.Length)]);
    }

    /// <inheritdoc/>
    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = Content.Length };
}
