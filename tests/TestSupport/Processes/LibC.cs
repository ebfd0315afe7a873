using System.Runtime.InteropServices;

namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>The few libc calls the fixtures need and .NET does not expose.</summary>
internal static partial class LibC
{
    internal const int SigKill = 9;
    internal const int SigTerm = 15;

    /// <summary>umount2 flag: detach now, finish when no longer busy (umount(2)).</summary>
    internal const int MntDetach = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint LListXattr(string path, Span<byte> list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint LGetXattr(string path, string name, Span<byte> value, nuint size);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}
