using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.TestServer;

/// <summary>A file whose READs either answer, or (with a stall callback) report themselves and never complete.</summary>
internal sealed class StallingFile(byte[] content, Action? onStall) : MemoryNode(FileModes.RegularFile | 0x1A4), INodeReader
{
    public async ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (onStall is not null)
        {
            onStall();
            await Task.Delay(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
        }

        int count = (int)Math.Clamp(content.Length - offset, 0, buffer.Length);
        content.AsSpan((int)offset, count).CopyTo(buffer.Span);
        return count;
    }

    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = content.Length };
}
