using System.Text;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// Watches the tar bytes on their way to <see cref="System.Formats.Tar.TarReader"/> and keeps the raw bytes of each entry's
/// <c>SCHILY.xattr.*</c> PAX records. The reader decodes PAX values as UTF-8 text, which loses binary values such as
/// <c>security.capability</c>; this keeps them exact.
/// </summary>
/// <remarks>
/// Follows the archive's block structure (POSIX ustar/pax): 512-byte headers, data rounded up to 512 bytes, a pax
/// <c>size</c> record overriding the next header's size, header-only types (links, devices, directories, fifos) carrying no data.
/// </remarks>
internal sealed class TarXattrTap
{
    private const string XattrPrefix = "SCHILY.xattr.";
    private readonly byte[] _header = new byte[512];
    private int _headerFill;
    private long _skip;
    private MemoryStream? _pax;
    private long _paxRemaining;
    private long _paxPadding;
    private Dictionary<string, byte[]>? _pending;
    private long? _pendingSize;

    /// <summary>The raw xattr values of the entry whose header was read last (empty when it had none).</summary>
    public IReadOnlyDictionary<string, byte[]> Current { get; private set; } = new Dictionary<string, byte[]>();

    public void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_skip > 0)
            {
                var n = (int)Math.Min(_skip, bytes.Length);
                _skip -= n;
                bytes = bytes[n..];
            }
            else if (_pax is not null)
            {
                var n = (int)Math.Min(_paxRemaining, bytes.Length);
                _pax.Write(bytes[..n]);
                _paxRemaining -= n;
                bytes = bytes[n..];
                if (_paxRemaining == 0)
                {
                    ParsePax(_pax.ToArray());
                    _pax = null;
                    _skip = _paxPadding;
                }
            }
            else
            {
                var n = Math.Min(512 - _headerFill, bytes.Length);
                bytes[..n].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += n;
                bytes = bytes[n..];
                if (_headerFill == 512)
                {
                    _headerFill = 0;
                    OnHeader();
                }
            }
        }
    }

    private void OnHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return; // end-of-archive block
        var type = (char)_header[156];
        var size = ParseSize(_header.AsSpan(124, 12));
        switch (type)
        {
            case 'x':
                _pax = new MemoryStream();
                _paxRemaining = size;
                _paxPadding = Padding(size);
                if (size == 0)
                {
                    _pax = null;
                    _pending = new Dictionary<string, byte[]>();
                }

                return;
            case 'g' or 'L' or 'K':
                _skip = size + Padding(size);
                return;
        }

        if (_pendingSize is { } overridden) size = overridden;
        if (type is '1' or '2' or '3' or '4' or '5' or '6') size = 0;
        _skip = size + Padding(size);
        Current = _pending ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>();
        _pending = null;
        _pendingSize = null;
    }

    private void ParsePax(byte[] data)
    {
        _pending = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var position = 0;
        while (position < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', position);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, position, space - position), out var length) || length <= 0 || position + length > data.Length)
                return; // malformed: the tar reader reports it
            var record = data.AsSpan(space + 1, position + length - space - 2); // without the trailing newline
            var equals = record.IndexOf((byte)'=');
            if (equals > 0)
            {
                var key = Encoding.UTF8.GetString(record[..equals]);
                if (key.StartsWith(XattrPrefix, StringComparison.Ordinal)) _pending[key[XattrPrefix.Length..]] = record[(equals + 1)..].ToArray();
                else if (key == "size" && long.TryParse(Encoding.ASCII.GetString(record[(equals + 1)..]), out var size)) _pendingSize = size;
            }

            position += length;
        }
    }

    private static long Padding(long size) => (512 - size % 512) % 512;

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7f;
            foreach (var b in field[1..]) value = (value << 8) | b;
            return value;
        }

        long octal = 0;
        foreach (var b in field)
        {
            if (b is >= (byte)'0' and <= (byte)'7') octal = (octal * 8) + (b - '0');
            else if (octal > 0 || b is not ((byte)' ' or 0)) break;
        }

        return octal;
    }
}
