using System.Net.Sockets;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// systemd socket activation (sd_listen_fds(3)): when <c>LISTEN_PID</c> is this process and <c>LISTEN_FDS</c> is at
/// least 1, the listening socket is file descriptor 3, already bound (with the socket unit's mode) and listening;
/// connections that arrived while the daemon started wait in its backlog. <c>--address fd://</c> asks for it.
/// </summary>
internal static class SocketActivation
{
    /// <summary>The first descriptor systemd passes (SD_LISTEN_FDS_START).</summary>
    public const int FirstDescriptor = 3;

    /// <summary>The address that asks for the inherited socket.</summary>
    public const string Address = "fd://";

    public static bool IsRequested(string address) => address.StartsWith(Address, StringComparison.Ordinal);

    /// <summary>The inherited listening socket; the variables are removed so children (the FUSE keeper) do not take it.</summary>
    /// <exception cref="IOException">No socket was passed to this process, or descriptor 3 is not a listening socket.</exception>
    public static Socket Take(Func<string, string?> environment, int processId)
    {
        var pid = environment("LISTEN_PID");
        var fds = environment("LISTEN_FDS");
        if (pid is null || fds is null)
        {
            throw new IOException("--address fd:// needs a socket from systemd socket activation (LISTEN_PID and LISTEN_FDS are not set)");
        }
        if (!int.TryParse(pid, out var listenPid) || listenPid != processId)
        {
            throw new IOException($"LISTEN_PID {pid} is not this process ({processId}): the socket was meant for another");
        }
        if (!int.TryParse(fds, out var count) || count < 1)
        {
            throw new IOException($"LISTEN_FDS {fds}: no socket was passed");
        }
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        // Inherited without close-on-exec: set it, or every child process would hold the listening socket open.
        if (Mono.Unix.Native.Syscall.fcntl(FirstDescriptor, Mono.Unix.Native.FcntlCommand.F_SETFD, 1) != 0)
        {
            throw new IOException($"descriptor {FirstDescriptor} from socket activation is not open");
        }
        // Only the first is served; more (several Listen lines in the unit) are closed rather than leaked into children.
        for (var extra = FirstDescriptor + 1; extra < FirstDescriptor + count; extra++)
        {
            _ = Mono.Unix.Native.Syscall.close(extra); // not open is as good as closed
        }
        var socket = new Socket(new SafeSocketHandle(FirstDescriptor, ownsHandle: true));
        if (socket.SocketType != SocketType.Stream)
        {
            socket.Dispose();
            throw new IOException($"descriptor {FirstDescriptor} from socket activation is not a stream socket (ListenStream= in the socket unit)");
        }
        return socket;
    }
}
