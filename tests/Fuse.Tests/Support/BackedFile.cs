using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// A file whose content is in memory and, once <see cref="BackingPath"/> is set, also in a local file offered for
/// passthrough. Counts the reads that reach the server.
/// </summary>
internal sealed class BackedFile(byte[] content) : MemoryFile(content), INodeBackingFile
{
    private int _reads;

    /// <summary>The local copy of the content; null while the content is "not local yet".</summary>
    public string? BackingPath { get; set; }

    public int ReadRequests => Volatile.Read(ref _reads);

    public ValueTask<SafeFileHandle?> OpenBackingFileAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(BackingPath is null ? null : File.OpenHandle(BackingPath, FileMode.Open, FileAccess.Read));

    public override ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return base.ReadMemoryAsync(offset, length, cancellationToken);
    }
}
