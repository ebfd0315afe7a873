using System.Text;

namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>
/// Writes tar archives block by block with every field under the test's control: octal or base-256 numbers (negative
/// and overflowing ones included), PAX bodies as raw bytes (malformed ones included), data shorter than declared.
/// </summary>
public sealed class RawTar
{
    private readonly MemoryStream _tar = new();

    /// <summary>A header; numeric fields are given as their raw 8- or 12-byte encodings (see <see cref="Octal"/>, <see cref="Base256"/>).</summary>
    public RawTar Header(string name, char type, byte[]? size = null, byte[]? uid = null, byte[]? mtime = null, string linkName = "")
    {
        var header = new byte[512];
        Encoding.UTF8.GetBytes(name).CopyTo(header, 0);
        Octal(0x1A4, 8).CopyTo(header, 100);
        (uid ?? Octal(0, 8)).CopyTo(header, 108);
        Octal(0, 8).CopyTo(header, 116);
        (size ?? Octal(0, 12)).CopyTo(header, 124);
        (mtime ?? Octal(1_700_000_000, 12)).CopyTo(header, 136);
        header[156] = (byte)type;
        Encoding.UTF8.GetBytes(linkName).CopyTo(header, 157);
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = header.Sum(b => (int)b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        _tar.Write(header);
        return this;
    }

    /// <summary>A PAX 'x' header whose body is exactly <paramref name="body"/> (its size field says so).</summary>
    public RawTar Pax(string name, byte[] body) => Header(name, 'x', size: Octal(body.Length, 12)).Data(body);

    /// <summary>A well-formed PAX body from key/value pairs (values as bytes).</summary>
    public static byte[] Records(params (string Key, byte[] Value)[] records)
    {
        var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var rest = Encoding.ASCII.GetBytes(" " + key + "=").Concat(value).Append((byte)'\n').ToArray();
            var length = rest.Length + 1;
            while (length.ToString().Length + rest.Length != length) length = length.ToString().Length + rest.Length;
            body.Write(Encoding.ASCII.GetBytes(length.ToString()));
            body.Write(rest);
        }

        return body.ToArray();
    }

    /// <summary>Data padded to whole blocks.</summary>
    public RawTar Data(byte[] data)
    {
        _tar.Write(data);
        _tar.Write(new byte[(512 - data.Length % 512) % 512]);
        return this;
    }

    /// <summary>Data not padded (to cut an archive short).</summary>
    public RawTar Bytes(byte[] data)
    {
        _tar.Write(data);
        return this;
    }

    public byte[] Tar(bool end = true)
    {
        if (end) _tar.Write(new byte[1024]);
        return _tar.ToArray();
    }

    public static byte[] Octal(long value, int width) => Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(width - 1, '0') + "\0");

    /// <summary>GNU base-256: big-endian two's complement with the top bit of the first byte set.</summary>
    public static byte[] Base256(long value, int width)
    {
        var field = new byte[width];
        for (var i = width - 1; i >= 0; i--)
        {
            field[i] = (byte)(value & 0xff);
            value >>= 8;
        }

        field[0] |= 0x80;
        return field;
    }

    /// <summary>A base-256 field whose magnitude does not fit 64 bits.</summary>
    public static byte[] Base256Overflow(int width)
    {
        var field = Enumerable.Repeat((byte)0x7f, width).ToArray();
        field[0] = 0x80 | 0x3f;
        return field;
    }
}
