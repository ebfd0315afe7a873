using System.Net.Sockets;
using PluggableSnapshotter.Host.Linux;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The daemon's listening unix socket, bound before Kestrel starts so that its mode is set before anyone can connect.
/// </summary>
internal static class UnixListener
{
    /// <summary>Removes a stale socket, binds <paramref name="path"/>, sets its mode and listens.</summary>
    public static Socket Bind(string path, uint mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            // A previous run that died leaves its socket behind; bind would fail on it.
            File.Delete(path);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (LibC.chmod(path, mode) != 0)
            {
                throw new IOException($"chmod {path}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            }
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
