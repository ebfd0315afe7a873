using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// A blob fetched piecemeal into a sparse file, with a map of the ranges the file holds (<c>&lt;path&gt;.ranges</c>,
/// rewritten atomically after each write) so that what was fetched survives a restart and no byte is fetched twice:
/// on-demand readers and a background <see cref="BlobDownload"/> of the same blob share one. Ranges being fetched are
/// announced (<see cref="BeginFetch"/>), so a second fetcher of the same bytes waits for the first instead of asking the
/// registry again. The map says which bytes are present, not that they are right: readers check span digests and the
/// download the blob digest before anything is served or stored; a range that fails is <see cref="Forget"/>-ten.
/// </summary>
public sealed class PartialBlob : IDisposable
{
    private static readonly byte[] Magic = "PSRANGE1"u8.ToArray();
    private readonly Lock _lock = new();
    private readonly ByteRangeSet _present = new();
    private readonly List<(ByteRange Range, TaskCompletionSource Done)> _inFlight = [];
    private readonly SafeFileHandle _file;
    private bool _disposed;

    private PartialBlob(string path, long size, SafeFileHandle file)
    {
        (Path, Size, _file) = (path, size, file);
    }

    /// <summary>The file holding the blob's bytes.</summary>
    public string Path { get; }

    /// <summary>The map of present ranges beside it.</summary>
    public string MapPath => Path + ".ranges";

    /// <summary>The blob's size.</summary>
    public long Size { get; }

    /// <summary>Opens the partial blob at <paramref name="path"/>, keeping what an earlier run recorded for a blob of this size.</summary>
    public static PartialBlob Open(string path, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var blob = new PartialBlob(path, size, file);
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

    /// <summary>Bytes present from offset 0 on, without a gap.</summary>
    public long Prefix
    {
        get
        {
            lock (_lock) return _present.Prefix;
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

    /// <summary>
    /// Announces a fetch of <paramref name="range"/>, or returns the fetch already running that overlaps it (wait for it,
    /// then look again at what is missing). Dispose the returned announcement when the bytes are written or the fetch failed.
    /// </summary>
    public (IDisposable? Mine, Task? Theirs) BeginFetch(ByteRange range)
    {
        lock (_lock)
        {
            foreach (var (other, done) in _inFlight)
            {
                if (other.Offset < range.End && range.Offset < other.End) return (null, done.Task);
            }
            var entry = (range, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _inFlight.Add(entry);
            return (new Announcement(this, entry), null);
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

    /// <summary>Writes bytes at <paramref name="offset"/> and records them present.</summary>
    public void Write(long offset, ReadOnlySpan<byte> bytes)
    {
        if (offset < 0 || offset + bytes.Length > Size) throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}+{bytes.Length} lie outside the {Size}-byte blob");
        RandomAccess.Write(_file, bytes, offset);
        lock (_lock)
        {
            if (_disposed) return;
            _present.Add(new ByteRange(offset, bytes.Length));
            SaveMapLocked();
        }
    }

    /// <summary>Records <paramref name="range"/> absent again (its bytes failed a digest).</summary>
    public void Forget(ByteRange range)
    {
        lock (_lock)
        {
            if (_disposed) return;
            _present.Remove(range);
            SaveMapLocked();
        }
    }

    /// <summary>Forgets every range (the blob as a whole failed its digest).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _present.Clear();
            SaveMapLocked();
            RandomAccess.SetLength(_file, 0);
            RandomAccess.SetLength(_file, Size);
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
            _disposed = true;
            foreach (var (_, done) in _inFlight) done.TrySetResult();
            _inFlight.Clear();
        }
        _file.Dispose();
        if (!delete) return;
        File.Delete(Path);
        File.Delete(MapPath);
    }

    public void Dispose() => Close(delete: false);

    private void End((ByteRange, TaskCompletionSource Done) entry)
    {
        lock (_lock) _inFlight.Remove(entry);
        entry.Done.TrySetResult();
    }

    // Format: magic, size (int64), count (int32), then offset and length (int64 each) per range, little-endian.
    private void SaveMapLocked()
    {
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

    private sealed class Announcement(PartialBlob owner, (ByteRange, TaskCompletionSource) entry) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) owner.End(entry);
        }
    }
}
