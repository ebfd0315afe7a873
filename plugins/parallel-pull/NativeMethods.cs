using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>The libc calls .NET does not offer.</summary>
internal static partial class NativeMethods
{
    private const int ENotEmpty = 39;
    private const int EExist = 17;

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);

    /// <summary>
    /// rename(2) a directory onto an empty directory, atomically (Directory.Move refuses an existing destination).
    /// Both must be on one file system.
    /// </summary>
    /// <exception cref="IOException">The destination is not empty, or rename failed (errno in the message).</exception>
    public static void ReplaceEmptyDirectory(string source, string destination)
    {
        if (Rename(source, destination) == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException(errno is ENotEmpty or EExist
            ? $"cannot move the layer into '{destination}': the directory is not empty"
            : $"rename '{source}' to '{destination}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
