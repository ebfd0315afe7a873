using System.Globalization;
using PluggableSnapshotter.Soci.Build;

namespace PluggableSnapshotter.Soci.Tar;

/// <summary>
/// Walks a tar stream and records each entry as SOCI does: Go's archive/tar semantics for PAX, GNU long
/// names and links, USTAR prefixes and the end-of-archive blocks; the data offset is the stream position
/// after the entry's headers; the archive size is what the walk consumed.
/// </summary>
internal sealed class TarTocReader(ILayerIndexer source)
{
    /// <summary>Go's limit on PAX and GNU long-name bodies.</summary>
    private const int MaxSpecialFileSize = 1 << 20;

    private readonly byte[] _block = new byte[TarHeaderBlock.Size];
    private readonly byte[] _skip = new byte[64 * 1024];
    private long _position;

    public async Task<(List<FileMetadata> Files, long ConsumedSize)> ReadAllAsync(CancellationToken cancellationToken)
    {
        var files = new List<FileMetadata>();
        while (await NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            files.Add(entry);
        }
        return (files, _position);
    }

    private async Task<FileMetadata?> NextAsync(CancellationToken cancellationToken)
    {
        SortedDictionary<string, byte[]>? pax = null;
        byte[]? longName = null, longLink = null;
        long chainStart = _position; // the entry's first header, PAX and long-name headers included
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long headerOffset = _position;
            if (!await ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            TarHeaderFields h = TarHeaderFields.Decode(_block, headerOffset);
            switch ((char)h.TypeFlag)
            {
                case 'x':
                    pax = PaxRecordParser.Parse(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false));
                    continue;
                case 'L':
                    longName = TarHeaderBlock.CString(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false)).ToArray();
                    continue;
                case 'K':
                    longLink = TarHeaderBlock.CString(await ReadSpecialAsync(h, cancellationToken).ConfigureAwait(false)).ToArray();
                    continue;
            }
            var records = pax ?? new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            if (PaxRecordParser.IsSparse(records))
            {
                throw new InvalidDataException($"tar entry at byte {headerOffset} is a GNU sparse file, which zTOCs cannot describe");
            }
            h.Merge(records, longName, longLink);
            string type = h.EntryType
                ?? throw new InvalidDataException(
                    $"tar entry {h.Name} at byte {headerOffset} has unsupported type '{(char)h.TypeFlag}'");
            var entry = new FileMetadata
            {
                Name = h.Name,
                Type = type,
                UncompressedOffset = _position,
                UncompressedSize = h.Size,
                LinkName = h.LinkName,
                Mode = h.Mode,
                Uid = unchecked((uint)h.Uid),
                Gid = unchecked((uint)h.Gid),
                Uname = h.Uname,
                Gname = h.Gname,
                ModTime = GoTime.FormatUnix(h.ModTimeSeconds, h.ModTimeNanos),
                DevMajor = h.DevMajor,
                DevMinor = h.DevMinor,
                PaxRecords = records.Select(r => new PaxRecord(r.Key, r.Value)).ToArray(),
                TarHeaderOffset = chainStart,
            };
            long dataLength = TarEntryTypes.IsHeaderOnly(type) ? 0 : h.Size;
            await SkipAsync(dataLength, cancellationToken).ConfigureAwait(false);
            await SkipPaddingAsync(Padding(dataLength), cancellationToken).ConfigureAwait(false);
            return entry;
        }
    }

    /// <summary>Reads a header block; false at a clean end (EOF, or the zero blocks that end the archive).</summary>
    private async Task<bool> ReadHeaderAsync(CancellationToken cancellationToken)
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
        throw new InvalidDataException($"tar stream has a zero block followed by data at byte {_position - TarHeaderBlock.Size}");
    }

    private async Task<bool> ReadBlockAsync(CancellationToken cancellationToken)
    {
        int filled = await FillAsync(_block, cancellationToken).ConfigureAwait(false);
        if (filled == 0)
        {
            return false;
        }
        if (filled < _block.Length)
        {
            throw new InvalidDataException($"tar stream ends inside a header at byte {_position}");
        }
        return true;
    }

    private async Task<byte[]> ReadSpecialAsync(TarHeaderFields h, CancellationToken cancellationToken)
    {
        if (h.Size > MaxSpecialFileSize)
        {
            throw new InvalidDataException($"tar '{(char)h.TypeFlag}' header at byte {h.HeaderOffset} is {h.Size} bytes (limit {MaxSpecialFileSize})");
        }
        var body = new byte[h.Size];
        if (await FillAsync(body, cancellationToken).ConfigureAwait(false) < body.Length)
        {
            throw new InvalidDataException($"tar stream ends inside the '{(char)h.TypeFlag}' header at byte {h.HeaderOffset}");
        }
        await SkipPaddingAsync(Padding(h.Size), cancellationToken).ConfigureAwait(false);
        return body;
    }

    private async Task<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
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

    private async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            int want = (int)Math.Min(count, _skip.Length);
            int n = await FillAsync(_skip.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (n < want)
            {
                throw new InvalidDataException(
                    string.Create(CultureInfo.InvariantCulture, $"tar stream ends inside entry data at byte {_position}"));
            }
            count -= n;
        }
    }

    /// <summary>
    /// Skips an entry's padding. Like Go's reader, a stream that ends inside the padding simply ends there
    /// (some writers, umoci among them, leave the last entry unpadded and write no end blocks).
    /// </summary>
    private async Task SkipPaddingAsync(long count, CancellationToken cancellationToken)
    {
        if (count > 0)
        {
            await FillAsync(_skip.AsMemory(0, (int)count), cancellationToken).ConfigureAwait(false);
        }
    }

    private static long Padding(long length) => (TarHeaderBlock.Size - (length % TarHeaderBlock.Size)) % TarHeaderBlock.Size;
}
