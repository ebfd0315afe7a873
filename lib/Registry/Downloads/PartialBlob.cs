using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// A blob fetched piecemeal into a sparse file, with a map of the ranges the file holds (<c>&lt;path&gt;.ranges</c>,
/// rewritten atomically at most once per <see cref="MapSaveInterval"/> while writes arrive, at once after a
/// <see cref="Forget"/>, and at close) so that what was fetched survives a restart and no byte is fetched twice:
/// on-demand readers and a background <see cref="BlobDownload"/> of the same blob share one. Ranges being fetched are
/// announced (<see cref="BeginFetch"/>), so a second fetcher of the same bytes waits for the first instead of asking the
/// registry again. The map says which bytes are present, not that they are right: readers check span digests and the
/// download (or the fill's <see cref="PresentBytesStream"/>) the blob digest before anything is served or stored; a
/// range that fails is <see cref="Forget"/>-ten.
/// </summary>
public sealed class PartialBlob : IDisposable
{
    /// <summary>How long recorded writes may wait for the map to be saved (what a crash can cost: fetching them again).</summary>
    public static readonly TimeSpan MapSaveInterval = TimeSpan.FromSeconds(1);

    private static readonly byte[] Magic = "PSRANGE1"u8.ToArray();
    private readonly Lock _lock = new();
    private readonly ByteRangeSet _present = new();
    private readonly List<FetchAnnouncement> _inFlight = [];
    private readonly List<(long Offset, TaskCompletionSource Present)> _presenceWaiters = [];
    private readonly SafeFileHandle _file;
    private readonly Func<long, bool>? _reserve;
    private readonly Timer _saveTimer;
    private bool _dirty;
    private bool _saveArmed;
    private bool _disposed;
    private volatile bool _retired; // its files moved away (Retire): read only, its map never saved again
    private long _mapSaves;
    private long _bytesWritten;

    private PartialBlob(string path, long size, SafeFileHandle file, Func<long, bool>? reserve)
    {
        (Path, Size, _file, _reserve) = (path, size, file, reserve);
        _saveTimer = new Timer(_ => SaveIfDirty(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The file holding the blob's bytes.</summary>
    public string Path { get; }

    /// <summary>The map of present ranges beside it.</summary>
    public string MapPath => Path + ".ranges";

    /// <summary>The blob's size.</summary>
    public long Size { get; }

    /// <summary>Opens the partial blob at <paramref name="path"/>, keeping what an earlier run recorded for a blob of this size.</summary>
    /// <param name="path">The file.</param>
    /// <param name="size">The blob's size.</param>
    /// <param name="reserve">
    /// Asked for room before bytes not present yet are written (a store's size limit); when it says no, the write fails
    /// with an <see cref="IOException"/> and nothing is recorded. Called outside this blob's lock.
    /// </param>
    public static PartialBlob Open(string path, long size, Func<long, bool>? reserve = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var blob = new PartialBlob(path, size, file, reserve);
        if (!blob.LoadMap() || RandomAccess.GetLength(file) != size)
        {
            blob._present.Clear();
            RandomAccess.SetLength(file, 0); // sparse: only written ranges take disk space
            RandomAccess.SetLength(file, size);
        }
        return blob;
    }

    /// <summary>Bytes present.</summary>
    public long BytesPresent
    {
        get
        {
            lock (_lock) return _present.TotalBytes;
        }
    }

    /// <summary>Bytes written through <see cref="Write"/> so far, present before or not (what a writer costs the disk).</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Times the range map was written so far.</summary>
    public long MapSaves => Interlocked.Read(ref _mapSaves);

    /// <summary>Bytes the map at <paramref name="path"/><c>.ranges</c> records present (0 when there is none), without opening the blob.</summary>
    public static long RecordedBytes(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path + ".ranges");
            if (bytes.Length < 20 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return 0;
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
            if (count < 0 || bytes.Length != 20 + ((long)count * 16)) return 0;
            long total = 0;
            for (var i = 0; i < count; i++) total += Math.Max(0, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(28 + (i * 16))));
            return total;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Whether every byte of <paramref name="range"/> is present.</summary>
    public bool Contains(ByteRange range)
    {
        lock (_lock) return _present.Contains(range);
    }

    /// <summary>The parts of <paramref name="range"/> not present.</summary>
    public List<ByteRange> Missing(ByteRange range)
    {
        lock (_lock) return _present.Missing(range);
    }

    /// <summary>How many bytes from <paramref name="offset"/> on are present, at most <paramref name="max"/> (0: that byte is not).</summary>
    public long PresentRun(long offset, long max)
    {
        lock (_lock) return Math.Min(max, _present.RunFrom(offset));
    }

    /// <summary>
    /// Completes when the byte at <paramref name="offset"/> is present (written by any fetcher); fails with an
    /// <see cref="ObjectDisposedException"/> once the blob is closed.
    /// </summary>
    public async Task WhenPresentAsync(long offset, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_present.RunFrom(offset) > 0) return;
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _presenceWaiters.Add((offset, waiter));
        }
        // A waiter given up is taken off the list, not left for a write that may never come.
        await using var _ = cancellationToken.Register(() =>
        {
            lock (_lock) _presenceWaiters.Remove((offset, waiter));
            waiter.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false);
        await waiter.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Announces a fetch of <paramref name="range"/>, or returns the fetch already running that overlaps it (wait for it,
    /// then look again at what is missing; that fetch's <see cref="FetchAnnouncement.Awaited"/> then completes). Dispose
    /// the returned announcement when the bytes are written or the fetch failed.
    /// </summary>
    public (FetchAnnouncement? Mine, Task? Theirs) BeginFetch(ByteRange range)
    {
        lock (_lock)
        {
            foreach (var other in _inFlight)
            {
                if (!other.Overlaps(range)) continue;
                other.SomeoneWaits();
                return (null, other.Done);
            }
            var mine = new FetchAnnouncement(this, range);
            _inFlight.Add(mine);
            return (mine, null);
        }
    }

    /// <summary>Reads bytes at <paramref name="offset"/> from the file (the caller knows them present).</summary>
    public void Read(long offset, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(_file, destination[total..], offset + total);
            if (read == 0) throw new IOException($"partial blob {Path} ends at {offset + total}, before its recorded ranges");
            total += read;
        }
    }

    /// <summary>
    /// Writes bytes at <paramref name="offset"/> and records them present; the map names them once it is next saved, which
    /// is always after the bytes were written (a map never names bytes the file lacks).
    /// </summary>
    /// <exception cref="IOException">The disk is full, or the reserve (a store's size limit) leaves no room.</exception>
    public void Write(long offset, ReadOnlySpan<byte> bytes)
    {
        if (offset < 0 || offset + bytes.Length > Size) throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}+{bytes.Length} lie outside the {Size}-byte blob");
        var range = new ByteRange(offset, bytes.Length);
        // Read without the lock (every write passes here): a write racing Retire lands in the moved file and is never mapped.
        if (_retired) throw new IOException($"partial blob {Path} is retired: the layer is local, nothing more is kept in it");
        if (_reserve is { } reserve && bytes.Length > 0)
        {
            long growth;
            lock (_lock) growth = _present.Missing(range).Sum(g => g.Length);
            // Asked outside the lock: the store's lock is taken there, and the store reads BytesPresent under it.
            if (growth > 0 && !reserve(growth)) throw new IOException($"partial blob {Path}: no room for {growth} more bytes (the store's size limit)");
        }
        RandomAccess.Write(_file, bytes, offset);
        Interlocked.Add(ref _bytesWritten, bytes.Length);
        lock (_lock)
        {
            if (_disposed) return;
            _present.Add(range);
            if (_presenceWaiters.Count > 0) WakePresent(range);
            _dirty = true;
            if (_saveArmed) return;
            _saveArmed = true;
            _saveTimer.Change(MapSaveInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Records <paramref name="range"/> absent again (its bytes failed a digest); saved at once.</summary>
    public void Forget(ByteRange range)
    {
        lock (_lock)
        {
            if (_disposed) return;
            _present.Remove(range);
            if (!_retired) SaveMapLocked();
        }
    }

    /// <summary>True once <see cref="Retire"/> was called.</summary>
    public bool Retired => _retired;

    /// <summary>
    /// The blob is complete and its files are about to be moved away (its layer is local): reads go on until
    /// <see cref="Close"/>, but nothing is written any more, and its map is never saved again (not where the files were).
    /// </summary>
    public void Retire()
    {
        lock (_lock)
        {
            _retired = true;
            _dirty = false;
        }
    }

    /// <summary>The file's handle, for reads behind a download's watermark.</summary>
    internal SafeFileHandle Handle => _file;

    /// <summary>Closes the file; with <paramref name="delete"/>, removes it and its map.</summary>
    public void Close(bool delete)
    {
        lock (_lock)
        {
            if (_disposed) return;
            try
            {
                if (_dirty && !delete) SaveMapLocked();
            }
            catch (IOException)
            {
                // The map keeps what it last recorded: the bytes written since are fetched again after a restart.
            }
            _disposed = true;
            foreach (var fetch in _inFlight) fetch.Ended();
            _inFlight.Clear();
            foreach (var (_, waiter) in _presenceWaiters) waiter.TrySetException(new ObjectDisposedException(nameof(PartialBlob), $"partial blob {Path} was closed"));
            _presenceWaiters.Clear();
        }
        _saveTimer.Dispose();
        _file.Dispose();
        if (!delete) return;
        File.Delete(Path);
        File.Delete(MapPath);
    }

    public void Dispose() => Close(delete: false);

    private void WakePresent(ByteRange written)
    {
        for (var i = _presenceWaiters.Count - 1; i >= 0; i--)
        {
            var (offset, waiter) = _presenceWaiters[i];
            if (offset < written.Offset || offset >= written.End) continue;
            _presenceWaiters.RemoveAt(i);
            waiter.TrySetResult();
        }
    }

    private void End(FetchAnnouncement fetch)
    {
        lock (_lock) _inFlight.Remove(fetch);
        fetch.Ended();
    }

    private void SaveIfDirty()
    {
        lock (_lock)
        {
            _saveArmed = false;
            if (_disposed || _retired || !_dirty) return;
            try
            {
                SaveMapLocked();
            }
            catch (IOException)
            {
                // The disk is full or going away: the next write, or the close, tries again.
            }
        }
    }

    // Format: magic, size (int64), count (int32), then offset and length (int64 each) per range, little-endian.
    private void SaveMapLocked()
    {
        Interlocked.Increment(ref _mapSaves);
        var ranges = _present.Ranges;
        var bytes = new byte[Magic.Length + 12 + (ranges.Count * 16)];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), Size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(20 + (i * 16)), ranges[i].Offset);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(28 + (i * 16)), ranges[i].Length);
        }
        var temporary = MapPath + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, MapPath, overwrite: true); // after the data: a map never names bytes the file lacks
        _dirty = false;
    }

    private bool LoadMap()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(MapPath);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        if (bytes.Length < 20 || !bytes.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)) != Size) return false;
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        if (count < 0 || bytes.Length != 20 + ((long)count * 16)) return false;
        for (var i = 0; i < count; i++)
        {
            var range = new ByteRange(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(20 + (i * 16))), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(28 + (i * 16))));
            if (range.Offset < 0 || range.Length <= 0 || range.End > Size) return false;
            _present.Add(range);
        }
        return true;
    }

    /// <summary>A fetch of some bytes under way (<see cref="BeginFetch"/>); disposed when it ends, written or failed.</summary>
    public sealed class FetchAnnouncement : IDisposable
    {
        private readonly PartialBlob _owner;
        private readonly ByteRange _range;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _awaited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _ended;

        internal FetchAnnouncement(PartialBlob owner, ByteRange range) => (_owner, _range) = (owner, range);

        /// <summary>
        /// Completes when another fetcher of overlapping bytes starts waiting for this fetch (a reader, while a fill
        /// fetches): whatever holds this fetch back should then let it go.
        /// </summary>
        public Task Awaited => _awaited.Task;

        internal Task Done => _done.Task;

        internal bool Overlaps(ByteRange range) => _range.Offset < range.End && range.Offset < _range.End;

        internal void SomeoneWaits() => _awaited.TrySetResult();

        internal void Ended() => _done.TrySetResult();

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) _owner.End(this);
        }
    }
}
