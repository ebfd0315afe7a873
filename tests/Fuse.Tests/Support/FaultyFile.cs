using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>A file whose attributes cannot be read because the backend throws (a bug in a node).</summary>
internal sealed class FaultyFile() : MemoryFile(Array.Empty<byte>())
{
    public override ValueTask<FuseResult<FuseAttributes>> GetattrAsync(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("backend bug");
}
