using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Bench;

/// <summary>A file whose content is a local file, handed to the kernel for passthrough (what a fully fetched layer file gets).</summary>
internal sealed class PassthroughFile(string path) : MemoryNode(FileModes.RegularFile | 0x1A4), INodeBackingFile
{
    public ValueTask<SafeFileHandle?> OpenBackingFileAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<SafeFileHandle?>(File.OpenHandle(path, FileMode.Open, FileAccess.Read));

    protected override FuseAttributes GetAttributes() => base.GetAttributes() with { Size = new FileInfo(path).Length };
}
