using System.Runtime.InteropServices;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers;

/// <summary>Moves a finished directory into place in one step, so a reader sees the old empty directory or the whole new one.</summary>
public static class DirectoryMove
{
    /// <summary>
    /// rename(2)s <paramref name="source"/> onto <paramref name="emptyDestination"/>, which it replaces atomically
    /// (<see cref="Directory.Move(string, string)"/> refuses an existing destination). Both must be on one file system.
    /// </summary>
    /// <param name="source">The finished directory (a staging directory beside the destination).</param>
    /// <param name="emptyDestination">The directory to replace: missing or empty.</param>
    /// <param name="what">What is moved, for the error message ("the layer").</param>
    /// <exception cref="IOException">The destination is not empty, or rename failed (errno in the message and HResult).</exception>
    public static void OntoEmpty(string source, string emptyDestination, string what)
    {
        if (Libc.rename(source, emptyDestination) == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException(errno is Libc.ENotEmpty or Libc.EExist
            ? $"cannot move {what} into '{emptyDestination}': the directory is not empty"
            : $"cannot move {what} from '{source}' to '{emptyDestination}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }
}
