using System.Text;

namespace PluggableSnapshotter.Fidelity.Tests.Listing;

/// <summary>A path as the kernel sees it: bytes, NUL-terminated for libc; printed with every byte a name may hold made visible.</summary>
internal readonly record struct RawPath(byte[] Bytes)
{
    public static RawPath Of(string path) => new(Encoding.UTF8.GetBytes(path));

    public RawPath Child(ReadOnlySpan<byte> name) => new([.. Bytes, (byte)'/', .. name]);

    /// <summary>The bytes with a trailing NUL, for libc.</summary>
    public byte[] Terminated() => [.. Bytes, 0];

    /// <summary>Printable ASCII as itself, every other byte (and the backslash) as \xNN: one line per name, however odd.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is > 0x20 and < 0x7f and not (byte)'\\') text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
