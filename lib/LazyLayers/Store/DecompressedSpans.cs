using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// A layer's uncompressed content space kept on disk span by span while the layer is not local: <c>tar.partial</c>, a
/// sparse file of the uncompressed size, and <c>tar.partial.spans</c>, which spans it holds, each with its XXH128
/// checksum (rewritten atomically after the data). A span is decompressed once per layer instead of once per read that finds it
/// gone from the memory cache: later reads of its bytes are a pread the page cache answers, no inflate.
/// </summary>
/// <remarks>
/// Only verified bytes are written (the caller writes a span once its compressed bytes matched the span digest). The
/// first read of a span by this process checks the whole span against its recorded checksum, so what a crash, a power loss
/// or a change on disk left behind is dropped and decompressed again, never served; from then on the process trusts
/// the span it wrote or checked (the store is root-only and nothing else writes there), which keeps reads to one pread.
/// The checksum guards against accidents, not an attacker (who could as well change the local copy): a non-cryptographic
/// one, since SHA-256 on write and on the first read cost about a CPU second per GB a reader went through.
/// Offsets and sizes are the format's content space (the tar stream for soci). Thread-safe.
/// </remarks>
public sealed class DecompressedSpans
{
    private static readonly byte[] Magic = "PSSPANS2"u8.ToArray();
    private const int EntryBytes = 8 + 8 + ChecksumBytes;
    private const int ChecksumBytes = 16;
    private const int VerifyChunk = 1 << 20;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle _file;
    private readonly SpanEntry[] _spans;
    private readonly bool[] _checked;
    private readonly Func<long, bool> _makeRoom;
    private long _bytesPresent;
    private bool _closed;

    private DecompressedSpans(string path, long size, string layout, SafeFileHandle file, int spanCount, Func<long, bool> makeRoom)
    {
        (Path, Size, Layout, _file, _makeRoom) = (path, size, layout, file, makeRoom);
        _spans = new SpanEntry[spanCount];
        _checked = new bool[spanCount];
    }

    /// <summary>The file holding the uncompressed bytes.</summary>
    public string Path { get; }

    /// <summary>The map of the spans it holds.</summary>
    public string MapPath => MapPathOf(Path);

    /// <summary>The uncompressed size of the layer.</summary>
    public long Size { get; }

    /// <summary>What names the span layout (the zTOC's): spans of another layout are other ranges, so they are not shared.</summary>
    public string Layout { get; }

    /// <summary>The number of spans of the layout.</summary>
    public int SpanCount => _spans.Length;

    /// <summary>
    /// Opens (or creates) the file at <paramref name="path"/>, keeping what an earlier run recorded for the same size and
    /// span layout; <paramref name="makeRoom"/> is asked before each span is written (false: the store has no room, the span is not kept).
    /// </summary>
    public static DecompressedSpans Open(string path, long size, int spanCount, string layout, Func<long, bool> makeRoom)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfNegative(spanCount);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var spans = new DecompressedSpans(path, size, layout, file, spanCount, makeRoom);
        if (!spans.LoadMap() || RandomAccess.GetLength(file) != size)
        {
            Array.Clear(spans._spans);
            spans._bytesPresent = 0;
            RandomAccess.SetLength(file, 0); // sparse: only written spans take disk space
            RandomAccess.SetLength(file, size);
            File.Delete(spans.MapPath);
        }
        return spans;
    }

    /// <summary>The map file beside <paramref name="path"/>.</summary>
    public static string MapPathOf(string path) => path + ".spans";

    /// <summary>
    /// Removes the file at <paramref name="path"/> and its map when the map is not one this version reads (an older
    /// format, or damaged): <see cref="Open"/> would empty the file anyway, and until then the store would count its
    /// bytes as none.
    /// </summary>
    public static void DiscardUnreadable(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(MapPathOf(path));
        }
        catch (IOException)
        {
            return; // no map: the file, if any, holds nothing recorded and is emptied at its first open
        }
        if (TryParseHeader(bytes, out _, out _, out _, out _)) return;
        File.Delete(path);
        File.Delete(MapPathOf(path));
    }

    /// <summary>Uncompressed bytes a map at <paramref name="path"/> records (for the store's size before the file is opened), 0 when none.</summary>
    public static long RecordedBytes(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(MapPathOf(path));
            if (!TryParseHeader(bytes, out _, out var count, out _, out var entries)) return 0;
            long total = 0;
            for (var i = 0; i < count; i++) total += Math.Max(0, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(entries + (i * EntryBytes) + 8)));
            return total;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Uncompressed bytes held.</summary>
    public long BytesPresent
    {
        get
        {
            lock (_lock) return _bytesPresent;
        }
    }

    /// <summary>Closed: the layer went local or was freed (ask the store again).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock) return _closed;
        }
    }

    /// <summary>Whether span <paramref name="spanId"/>, [<paramref name="start"/>, <paramref name="end"/>), is held (not yet checked by this process, maybe).</summary>
    public bool Holds(int spanId, long start, long end)
    {
        lock (_lock) return !_closed && Matches(spanId, start, end);
    }

    /// <summary>
    /// Copies bytes at <paramref name="offset"/> of span <paramref name="spanId"/>, [<paramref name="start"/>,
    /// <paramref name="end"/>), into <paramref name="destination"/>; false when the span is not held (or failed its check
    /// and was dropped, or the file was closed): the caller decompresses it.
    /// </summary>
    public bool TryRead(int spanId, long start, long end, long offset, Span<byte> destination)
    {
        if (offset < start || offset + destination.Length > end) throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}+{destination.Length} lie outside span {spanId} [{start}, {end})");
        bool check;
        byte[] sum;
        lock (_lock)
        {
            if (_closed || !Matches(spanId, start, end)) return false;
            check = !_checked[spanId];
            sum = _spans[spanId].Checksum!;
        }
        try
        {
            if (check && !Verify(spanId, start, end, sum)) return false;
            ReadExactly(offset, destination);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Keeps span <paramref name="spanId"/>'s uncompressed <paramref name="bytes"/> (starting at <paramref name="start"/>);
    /// the caller verified them. False when not kept (no room, closed, a write error): reads decompress it again.
    /// </summary>
    public bool TryWrite(int spanId, long start, ReadOnlySpan<byte> bytes)
    {
        if (start < 0 || start + bytes.Length > Size) throw new ArgumentOutOfRangeException(nameof(start), $"bytes {start}+{bytes.Length} lie outside the {Size}-byte layer");
        lock (_lock)
        {
            if (_closed) return false;
            if (Matches(spanId, start, start + bytes.Length)) return true;
        }
        if (!_makeRoom(bytes.Length)) return false;
        var sum = XxHash128.Hash(bytes);
        try
        {
            RandomAccess.Write(_file, bytes, start);
            lock (_lock)
            {
                if (_closed) return false;
                if (Matches(spanId, start, start + bytes.Length)) return true;
                _bytesPresent -= Math.Max(0, _spans[spanId].Length);
                _spans[spanId] = new SpanEntry(start, bytes.Length, sum);
                _checked[spanId] = true; // written from memory by this process
                _bytesPresent += bytes.Length;
                SaveMapLocked(); // after the data: the map never names bytes the file was not given
            }
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Closes the file; with <paramref name="delete"/>, removes it and its map.</summary>
    public void Close(bool delete)
    {
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
        }
        _file.Dispose();
        if (!delete) return;
        File.Delete(Path);
        File.Delete(MapPath);
    }

    private bool Matches(int spanId, long start, long end) =>
        (uint)spanId < (uint)_spans.Length && _spans[spanId] is { Checksum: not null } entry && entry.Start == start && entry.Length == end - start;

    /// <summary>The whole span against its recorded checksum; a span that fails is dropped from the map.</summary>
    private bool Verify(int spanId, long start, long end, byte[] expected)
    {
        var hash = new XxHash128();
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(VerifyChunk, Math.Max(1, end - start)));
        try
        {
            for (var at = start; at < end;)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - at));
                ReadExactly(at, chunk);
                hash.Append(chunk);
                at += chunk.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var good = hash.GetCurrentHash().AsSpan().SequenceEqual(expected);
        lock (_lock)
        {
            if (good)
            {
                _checked[spanId] = true;
            }
            else if (!_closed && Matches(spanId, start, end))
            {
                _bytesPresent -= _spans[spanId].Length;
                _spans[spanId] = default;
                SaveMapLocked();
            }
        }
        return good;
    }

    private void ReadExactly(long offset, Span<byte> destination)
    {
        for (var total = 0; total < destination.Length;)
        {
            var read = RandomAccess.Read(_file, destination[total..], offset + total);
            if (read == 0) throw new IOException($"{Path} ends at {offset + total}, before its recorded spans");
            total += read;
        }
    }

    // Format: magic, size (int64), span count (int32), layout length (int32) and UTF-8 bytes, then per span: start and
    // length (int64 each, length 0: not held) and XXH128 of the bytes (16 bytes); little-endian.
    private void SaveMapLocked()
    {
        var layout = Encoding.UTF8.GetBytes(Layout);
        var entries = Magic.Length + 16 + layout.Length;
        var bytes = new byte[entries + (_spans.Length * EntryBytes)];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), Size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), _spans.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), layout.Length);
        layout.CopyTo(bytes, 24);
        for (var i = 0; i < _spans.Length; i++)
        {
            if (_spans[i].Checksum is not { } sum) continue;
            var at = bytes.AsSpan(entries + (i * EntryBytes));
            BinaryPrimitives.WriteInt64LittleEndian(at, _spans[i].Start);
            BinaryPrimitives.WriteInt64LittleEndian(at[8..], _spans[i].Length);
            sum.CopyTo(at[16..]);
        }
        var temporary = MapPath + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, MapPath, overwrite: true);
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
        if (!TryParseHeader(bytes, out var size, out var count, out var layout, out var entries)) return false;
        if (size != Size || count != _spans.Length || layout != Layout) return false;
        for (var i = 0; i < count; i++)
        {
            var at = bytes.AsSpan(entries + (i * EntryBytes));
            long start = BinaryPrimitives.ReadInt64LittleEndian(at), length = BinaryPrimitives.ReadInt64LittleEndian(at[8..]);
            if (length == 0) continue;
            if (start < 0 || length < 0 || start + length > Size) return false;
            _spans[i] = new SpanEntry(start, length, at.Slice(16, ChecksumBytes).ToArray());
            _bytesPresent += length;
        }
        return true;
    }

    private static bool TryParseHeader(byte[] bytes, out long size, out int count, out string layout, out int entries)
    {
        (size, count, layout, entries) = (0, 0, "", 0);
        if (bytes.Length < 24 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return false;
        size = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        var layoutLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        if (count < 0 || layoutLength < 0 || 24L + layoutLength > bytes.Length) return false;
        entries = 24 + layoutLength;
        if (bytes.Length != entries + ((long)count * EntryBytes)) return false;
        layout = Encoding.UTF8.GetString(bytes, 24, layoutLength);
        return true;
    }

    private readonly record struct SpanEntry(long Start, long Length, byte[]? Checksum);
}
