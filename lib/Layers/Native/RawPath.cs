using System.Text;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// Paths as raw bytes held in .NET strings, one char per byte (Latin-1): tar names are bytes and need not be UTF-8, and
/// a string of bytes survives concatenation, splitting on '/' and dictionary lookups unchanged. Converted to a
/// NUL-terminated byte array only at the system call.
/// </summary>
internal static class RawPath
{
    /// <summary>The raw form of tar name bytes.</summary>
    public static string FromBytes(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>The raw form of an ordinary .NET path (which the file system holds as UTF-8).</summary>
    public static string FromPath(string path) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(path));

    /// <summary>The NUL-terminated bytes a system call takes.</summary>
    public static byte[] Native(string raw)
    {
        var bytes = new byte[raw.Length + 1];
        Encoding.Latin1.GetBytes(raw, bytes);
        return bytes;
    }

    /// <summary>The path for messages and logs (bytes that are not UTF-8 shown as replacement characters).</summary>
    public static string Display(string raw) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(raw));
}
