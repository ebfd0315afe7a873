using System.Net.Sockets;
using PluggableSnapshotter.Host.Linux;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The daemon's listening unix socket. It is bound under a temporary name with its mode set before anyone can connect,
/// and renamed into place by <see cref="Publish"/> once the snapshotter is ready: a client that sees the socket can use it.
/// A socket inherited from systemd (<see cref="SocketActivation"/>) is the socket unit's: it is neither moved nor removed.
/// </summary>
internal sealed class UnixListener(Socket socket, string? temporaryPath, string? path) : IDisposable
{
    /// <summary>Wraps a socket that systemd bound and listens on already.</summary>
    public static UnixListener Inherited(Socket socket) => new(socket, null, null);

    public Socket Socket { get; } = socket;

    /// <summary>Where clients connect once published: the path given to <see cref="Bind"/>, or where systemd bound the inherited socket (null for an abstract or unnamed one).</summary>
    public string? ConnectPath => path ?? (Socket.LocalEndPoint is UnixDomainSocketEndPoint bound && bound.ToString() is { Length: > 0 } named && named[0] == '/' ? named : null);

    /// <summary>Binds a socket that will appear at <paramref name="path"/>, with <paramref name="mode"/>, and listens.</summary>
    public static UnixListener Bind(string path, uint mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.Delete(temporary);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            if (LibC.chmod(temporary, mode) != 0)
            {
                throw new IOException($"chmod {temporary}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            }
            socket.Listen(512);
            return new UnixListener(socket, temporary, path);
        }
        catch
        {
            socket.Dispose();
            File.Delete(temporary);
            throw;
        }
    }

    private ulong _publishedInode;

    /// <summary>Moves the socket to its path, replacing a stale one a previous run left behind.</summary>
    public void Publish()
    {
        if (temporaryPath is null || path is null)
        {
            return;
        }
        File.Move(temporaryPath, path, overwrite: true);
        _publishedInode = Inode(path);
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (temporaryPath is null || path is null)
        {
            return;
        }
        File.Delete(temporaryPath);
        // Only our own socket: a daemon started after us may already serve at this path.
        if (_publishedInode != 0 && Inode(path) == _publishedInode)
        {
            File.Delete(path);
        }
    }

    private static ulong Inode(string file) => Mono.Unix.Native.Syscall.lstat(file, out var stat) == 0 ? stat.st_ino : 0;
}
