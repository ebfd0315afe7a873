using System.Globalization;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// Reads a tar stream forward, one entry at a time, with Go archive/tar's semantics (what containerd and SOCI read):
/// V7, USTAR, PAX, STAR and GNU headers; octal or base-256 numbers; PAX records with byte values; GNU long names and
/// links; PAX global headers (handed out as entries of type 'g'); GNU sparse files (PAX 0.0, 0.1, 1.0 and old GNU 'S').
/// </summary>
/// <remarks>
/// Malformed input throws <see cref="InvalidDataException"/> naming the entry and its offset. The stream is only read,
/// never seeked, so <see cref="Position"/> is exactly what was consumed (the zTOC records it).
/// </remarks>
public sealed class TarArchiveReader(Stream source)
{
    /// <summary>The size of a tar header block, and the unit data is padded to.</summary>
    public const int BlockSize = TarHeaderBlock.Size;

    /// <summary>Go's limit on PAX and GNU long-name bodies.</summary>
    public const int MaxSpecialFileSize = 1 << 20;

    private static readonly SparseFragment[] NoFragments = [];

    private readonly byte[] _block = new byte[TarHeaderBlock.Size];
    private readonly byte[] _skip = new byte[64 * 1024];
    private TarHeader? _current;
    private long _position;
    private long _storedRemaining;
    private long _padding;
    private IReadOnlyList<SparseFragment> _fragments = NoFragments;
    private int _fragment;
    private long _fragmentDone;

    /// <summary>Bytes consumed from the stream so far.</summary>
    public long Position => _position;

    /// <summary>
    /// Moves to the next entry, skipping what is left of the current one. Null at the end of the archive (end of the
    /// stream, or the zero blocks that end it).
    /// </summary>
    public async ValueTask<TarHeader?> NextAsync(CancellationToken cancellationToken)
    {
        await SkipAsync(_storedRemaining, cancellationToken).ConfigureAwait(false);
        await SkipPaddingAsync(_padding, cancellationToken).ConfigureAwait(false);
        _storedRemaining = _padding = 0;
        _current = null;

        SortedDictionary<string, byte[]>? pax = null;
        byte[]? longName = null, longLink = null;
        long chainStart = _position;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long headerOffset = _position;
            if (!await ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            TarHeader h = TarHeader.Decode(_block, headerOffset);
            byte type = h.TypeFlag;
            if (!TarTypeFlags.IsHeaderOnly(type) && h.Size < 0)
            {
                throw h.Malformed(string.Create(CultureInfo.InvariantCulture, $"has negative size {h.Size}"));
            }
            switch (type)
            {
                case TarTypeFlags.PaxExtended:
                    pax = PaxRecordParser.Parse(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false), h);
                    continue;
                case TarTypeFlags.PaxGlobal:
                    // Go hands a global header out as an entry of its own; containerd ignores it.
                    var records = PaxRecordParser.Parse(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false), h);
                    var global = new TarHeader { HeaderOffset = chainStart, TypeFlag = type, NameBytes = h.NameBytes, DataOffset = _position };
                    global.Merge(records, null, null);
                    global.NameBytes = h.NameBytes;
                    global.LinkNameBytes = [];
                    return _current = global;
                case TarTypeFlags.GnuLongName:
                    longName = TarHeaderBlock.CString(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false)).ToArray();
                    continue;
                case TarTypeFlags.GnuLongLink:
                    longLink = TarHeaderBlock.CString(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false)).ToArray();
                    continue;
            }

            var entry = new TarHeader { HeaderOffset = chainStart };
            CopyFields(h, entry);
            entry.Merge(pax, longName, longLink);
            long stored = TarTypeFlags.IsHeaderOnly(entry.TypeFlag) ? 0 : entry.Size;
            if (stored < 0)
            {
                throw entry.Malformed(string.Create(CultureInfo.InvariantCulture, $"has negative size {stored}"));
            }
            _current = entry;
            _storedRemaining = stored;
            _padding = Padding(stored);
            await ReadSparseMapAsync(entry, cancellationToken).ConfigureAwait(false);
            entry.StoredSize = stored;
            entry.DataOffset = _position;
            _fragments = entry.Sparse ?? (stored > 0 ? [new SparseFragment(0, stored)] : NoFragments);
            _fragment = 0;
            _fragmentDone = 0;
            return entry;
        }
    }

    /// <summary>
    /// Reads the current entry's stored data into <paramref name="buffer"/>. Returns where the bytes belong in the file
    /// (for a sparse file, after a hole) and how many were read; 0 bytes at the end of the entry's data.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream ends early, or a sparse map disagrees with the stored data.</exception>
    public async ValueTask<(long FileOffset, int Count)> ReadDataAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        TarHeader entry = _current ?? throw new InvalidOperationException("no current entry: call NextAsync first");
        while (_fragment < _fragments.Count && _fragmentDone == _fragments[_fragment].Length)
        {
            _fragment++;
            _fragmentDone = 0;
        }
        if (_fragment == _fragments.Count)
        {
            if (_storedRemaining > 0)
            {
                throw entry.Malformed("is a sparse file whose archive data holds bytes its map does not reference");
            }
            return (entry.Size, 0);
        }
        SparseFragment current = _fragments[_fragment];
        if (_storedRemaining == 0)
        {
            throw entry.Malformed("is a sparse file whose map references data the archive does not hold");
        }
        int want = (int)Math.Min(Math.Min(buffer.Length, current.Length - _fragmentDone), _storedRemaining);
        int n = await source.ReadAsync(buffer[..want], cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            throw entry.Malformed(string.Create(CultureInfo.InvariantCulture, $"is cut short: the stream ends inside its data at byte {_position}"));
        }
        _position += n;
        _storedRemaining -= n;
        long offset = current.Offset + _fragmentDone;
        _fragmentDone += n;
        return (offset, n);
    }

    private static void CopyFields(TarHeader from, TarHeader to)
    {
        to.TypeFlag = from.TypeFlag;
        to.NameBytes = from.NameBytes;
        to.LinkNameBytes = from.LinkNameBytes;
        to.UnameBytes = from.UnameBytes;
        to.GnameBytes = from.GnameBytes;
        to.Size = from.Size;
        to.Mode = from.Mode;
        to.Uid = from.Uid;
        to.Gid = from.Gid;
        to.ModTimeSeconds = from.ModTimeSeconds;
        to.AccessTime = from.AccessTime;
        to.DevMajor = from.DevMajor;
        to.DevMinor = from.DevMinor;
    }

    // Go's handleSparseFile: old GNU 'S' maps live in the header and extension blocks; PAX 1.0 maps at the start of the data.
    private async ValueTask ReadSparseMapAsync(TarHeader entry, CancellationToken cancellationToken)
    {
        List<SparseFragment>? fragments = null;
        if (entry.TypeFlag == TarTypeFlags.GnuSparse)
        {
            var b = new TarHeaderBlock(_block);
            if (b.Format != TarFormat.Gnu)
            {
                throw entry.Malformed("is a sparse 'S' entry outside a GNU header");
            }
            bool bad = false;
            entry.Size = b.GnuRealSize(ref bad);
            fragments = [];
            bool extended = ReadOldSparseArea(b.GnuSparse, fragments, ref bad);
            while (extended && !bad)
            {
                if (!await ReadBlockAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw entry.Malformed("is cut short inside its GNU sparse extension headers");
                }
                extended = ReadOldSparseArea(new TarHeaderBlock(_block).GnuSparseExtension, fragments, ref bad);
            }
            if (bad)
            {
                throw entry.Malformed("has a malformed number in its GNU sparse map");
            }
        }
        else
        {
            var version = SparseMaps.Detect(entry.PaxRecords);
            if (version == SparseMaps.Version.None)
            {
                return;
            }
            if (entry.PaxRecords.TryGetValue(PaxRecordParser.SparseName, out byte[]? name) && name.Length > 0)
            {
                entry.NameBytes = name;
            }
            if ((entry.PaxRecords.TryGetValue(PaxRecordParser.SparseSize, out byte[]? size) && size.Length > 0)
                || (entry.PaxRecords.TryGetValue(PaxRecordParser.SparseRealSize, out size) && size.Length > 0))
            {
                entry.Size = entry.ParseInt("GNU.sparse.size", size);
            }
            fragments = version == SparseMaps.Version.One
                ? await SparseMaps.FromDataAsync(ReadMapBlockAsync, entry, cancellationToken).ConfigureAwait(false)
                : SparseMaps.FromRecords(entry.PaxRecords, entry);
        }
        if (TarTypeFlags.IsHeaderOnly(entry.TypeFlag))
        {
            throw entry.Malformed($"has type {TarTypeFlags.Describe(entry.TypeFlag)}, which cannot be sparse");
        }
        SparseMaps.Validate(fragments, entry.Size, entry);
        entry.Sparse = fragments;
    }

    private static bool ReadOldSparseArea(TarHeaderBlock.SparseArea area, List<SparseFragment> fragments, ref bool bad)
    {
        area.AddTo(fragments, ref bad);
        return area.IsExtended;
    }

    // A block of the entry's stored data (the 1.0 map is part of it); false when the data has no whole block left.
    private async ValueTask<bool> ReadMapBlockAsync(byte[] block, CancellationToken cancellationToken)
    {
        if (_storedRemaining < block.Length)
        {
            return false;
        }
        if (await FillAsync(block, cancellationToken).ConfigureAwait(false) < block.Length)
        {
            return false;
        }
        _storedRemaining -= block.Length;
        return true;
    }

    /// <summary>Reads a header block; false at a clean end (EOF, or the zero blocks that end the archive).</summary>
    private async ValueTask<bool> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        if (!await ReadBlockAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        if (!new TarHeaderBlock(_block).IsZero)
        {
            return true;
        }
        if (!await ReadBlockAsync(cancellationToken).ConfigureAwait(false) || new TarHeaderBlock(_block).IsZero)
        {
            return false;
        }
        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"tar stream has a zero block followed by data at byte {_position - TarHeaderBlock.Size}"));
    }

    private async ValueTask<bool> ReadBlockAsync(CancellationToken cancellationToken)
    {
        int filled = await FillAsync(_block, cancellationToken).ConfigureAwait(false);
        if (filled == 0)
        {
            return false;
        }
        if (filled < _block.Length)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"tar stream ends inside a header at byte {_position}"));
        }
        return true;
    }

    private async ValueTask<byte[]> ReadSpecialAsync(TarHeader h, CancellationToken cancellationToken)
    {
        if (h.Size > MaxSpecialFileSize)
        {
            throw h.Malformed(string.Create(CultureInfo.InvariantCulture,
                $"is a {TarTypeFlags.Describe(h.TypeFlag)} header of {h.Size} bytes (limit {MaxSpecialFileSize})"));
        }
        var body = new byte[h.Size];
        if (await FillAsync(body, cancellationToken).ConfigureAwait(false) < body.Length)
        {
            throw h.Malformed($"is cut short: the stream ends inside its {TarTypeFlags.Describe(h.TypeFlag)} header");
        }
        await SkipPaddingAsync(Padding(h.Size), cancellationToken).ConfigureAwait(false);
        return body;
    }

    private async ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await source.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        _position += total;
        return total;
    }

    private async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            int want = (int)Math.Min(count, _skip.Length);
            int n = await FillAsync(_skip.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (n < want)
            {
                string name = _current?.DisplayName ?? "?";
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"tar entry '{name}' is cut short: the stream ends inside its data at byte {_position}"));
            }
            count -= n;
        }
    }

    /// <summary>
    /// Skips an entry's padding. Like Go's reader, a stream that ends inside the padding simply ends there
    /// (some writers, umoci among them, leave the last entry unpadded and write no end blocks).
    /// </summary>
    private async ValueTask SkipPaddingAsync(long count, CancellationToken cancellationToken)
    {
        if (count > 0)
        {
            await FillAsync(_skip.AsMemory(0, (int)count), cancellationToken).ConfigureAwait(false);
        }
    }

    private static long Padding(long length) => (TarHeaderBlock.Size - (length % TarHeaderBlock.Size)) % TarHeaderBlock.Size;
}
