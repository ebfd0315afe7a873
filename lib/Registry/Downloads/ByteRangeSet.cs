namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// A set of byte offsets kept as sorted, disjoint, non-adjacent ranges (adjacent ones merge): which parts of a blob a
/// partial file holds. Not thread-safe; <see cref="PartialBlob"/> guards it.
/// </summary>
public sealed class ByteRangeSet
{
    private readonly List<ByteRange> _ranges = [];

    /// <summary>The ranges, in offset order.</summary>
    public IReadOnlyList<ByteRange> Ranges => _ranges;

    /// <summary>Bytes in the set.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Adds <paramref name="range"/>, merging it with the ranges it overlaps or touches.</summary>
    public void Add(ByteRange range)
    {
        if (range.Length <= 0) return;
        long start = range.Offset, end = range.End;
        var first = FirstEndingAtOrAfter(start);
        var last = first;
        while (last < _ranges.Count && _ranges[last].Offset <= end)
        {
            start = Math.Min(start, _ranges[last].Offset);
            end = Math.Max(end, _ranges[last].End);
            TotalBytes -= _ranges[last].Length;
            last++;
        }
        _ranges.RemoveRange(first, last - first);
        _ranges.Insert(first, new ByteRange(start, end - start));
        TotalBytes += end - start;
    }

    /// <summary>Removes <paramref name="range"/> (bytes that proved wrong), splitting the ranges it cuts.</summary>
    public void Remove(ByteRange range)
    {
        if (range.Length <= 0) return;
        var kept = new List<ByteRange>(2);
        var first = FirstEndingAtOrAfter(range.Offset + 1);
        var last = first;
        while (last < _ranges.Count && _ranges[last].Offset < range.End)
        {
            var existing = _ranges[last];
            if (existing.Offset < range.Offset) kept.Add(new ByteRange(existing.Offset, range.Offset - existing.Offset));
            if (existing.End > range.End) kept.Add(new ByteRange(range.End, existing.End - range.End));
            TotalBytes -= existing.Length;
            last++;
        }
        _ranges.RemoveRange(first, last - first);
        _ranges.InsertRange(first, kept);
        foreach (var piece in kept) TotalBytes += piece.Length;
    }

    /// <summary>Whether every byte of <paramref name="range"/> is in the set.</summary>
    public bool Contains(ByteRange range)
    {
        if (range.Length <= 0) return true;
        var i = FirstEndingAtOrAfter(range.Offset + 1);
        return i < _ranges.Count && _ranges[i].Offset <= range.Offset && _ranges[i].End >= range.End;
    }

    /// <summary>The parts of <paramref name="range"/> not in the set, in offset order.</summary>
    public List<ByteRange> Missing(ByteRange range)
    {
        var missing = new List<ByteRange>();
        var at = range.Offset;
        for (var i = FirstEndingAtOrAfter(range.Offset + 1); i < _ranges.Count && _ranges[i].Offset < range.End && at < range.End; i++)
        {
            if (_ranges[i].Offset > at) missing.Add(new ByteRange(at, _ranges[i].Offset - at));
            at = Math.Max(at, _ranges[i].End);
        }
        if (at < range.End) missing.Add(new ByteRange(at, range.End - at));
        return missing;
    }

    /// <summary>How many bytes from <paramref name="offset"/> on are all in the set (0 when that byte is not).</summary>
    public long RunFrom(long offset)
    {
        var i = FirstEndingAtOrAfter(offset + 1);
        return i < _ranges.Count && _ranges[i].Offset <= offset ? _ranges[i].End - offset : 0;
    }

    /// <summary>Bytes from offset 0 that are all in the set.</summary>
    public long Prefix => _ranges.Count > 0 && _ranges[0].Offset == 0 ? _ranges[0].Length : 0;

    /// <summary>Empties the set.</summary>
    public void Clear()
    {
        _ranges.Clear();
        TotalBytes = 0;
    }

    /// <summary>The index of the first range whose end is at or after <paramref name="offset"/> (binary search).</summary>
    private int FirstEndingAtOrAfter(long offset)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_ranges[mid].End < offset) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
