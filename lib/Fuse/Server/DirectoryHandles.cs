using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>Open directories: the entry snapshot taken at OPENDIR, served by offset until RELEASEDIR.</summary>
internal sealed class DirectoryHandles
{
    private readonly ConcurrentDictionary<ulong, IReadOnlyList<FuseDirEntry>> _open = new();
    private long _lastHandle;

    public ulong Open(IReadOnlyList<FuseDirEntry> entries)
    {
        ulong handle = (ulong)Interlocked.Increment(ref _lastHandle);
        _open[handle] = entries;
        return handle;
    }

    public IReadOnlyList<FuseDirEntry>? Find(ulong handle) => _open.TryGetValue(handle, out IReadOnlyList<FuseDirEntry>? entries) ? entries : null;

    public void Release(ulong handle) => _open.TryRemove(handle, out _);

    public int Count => _open.Count;
}
