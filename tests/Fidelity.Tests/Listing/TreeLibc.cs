using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Fidelity.Tests.Listing;

/// <summary>
/// The libc calls the lister needs, all taking raw byte paths (NUL-terminated), so names that are not UTF-8 reach the
/// kernel exactly as the layer wrote them: .NET's string paths would replace such bytes.
/// </summary>
internal static unsafe partial class TreeLibc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7ff;
    public const int ODirectory = 0x10000;
    public const int ONoFollow = 0x20000;
    public const int ENoData = 61;
    public const int ENotSup = 95;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint opendir(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint readdir(nint directory);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int closedir(nint directory);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int statx(int directoryFd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint readlink(byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int open(byte* path, int flags);
}
