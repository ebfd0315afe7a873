using System.Runtime.InteropServices;
using System.Text;

namespace PluggableSnapshotter.Fuse.Bench;

/// <summary>stat(2) on pre-encoded paths, so the measurement is the file system and not string marshalling.</summary>
internal static unsafe partial class NativeStat
{
    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static partial int Stat(byte* path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string type, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    public static byte[] Encode(string path) => Encoding.UTF8.GetBytes(path + "\0");

    /// <summary>stat()s every path once; throws on the first failure.</summary>
    public static void StatAll(byte[][] paths)
    {
        byte* buffer = stackalloc byte[256];
        foreach (byte[] path in paths)
        {
            fixed (byte* p = path)
            {
                if (Stat(p, buffer) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new IOException($"stat {Encoding.UTF8.GetString(path.AsSpan(0, path.Length - 1))} failed: errno {errno}");
                }
            }
        }
    }
}
