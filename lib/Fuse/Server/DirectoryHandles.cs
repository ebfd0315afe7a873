using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Open directories: the entry snapshot taken at OPENDIR, served by offset until RELEASEDIR. Handles start at a
/// random point so those of a resumed connection's earlier process (listed again on first READDIR, see
/// <see cref="Adopt"/>) never collide with new ones.
/// </summary>
internal sealed class DirectoryHandles
{
    private readonly ConcurrentDictionary<ulong, IReadOnlyList<FuseDirEntry>> _open = new();
    private long _lastHandle = Random.Shared.NextInt64(1, long.MaxValue / 2);

    public ulong Open(IReadOnlyList<FuseDirEntry> entries)
    {
        ulong handle = (ulong)Interlocked.Increment(ref _lastHandle);
        _open[handle] = entries;
        return handle;
    }

    /// <summary>Serves a handle another process opened (the listing of an immutable tree is the same in every process).</summary>
    public IReadOnlyList<FuseDirEntry> Adopt(ulong handle, IReadOnlyList<FuseDirEntry> entries) => _open.GetOrAdd(handle, entries);

    public IReadOnlyList<FuseDirEntry>? Find(ulong handle) => _open.TryGetValue(handle, out IReadOnlyList<FuseDirEntry>? entries) ? entries : null;

    public void Release(ulong handle) => _open.TryRemove(handle, out _);

    public int Count => _open.Count;
}
