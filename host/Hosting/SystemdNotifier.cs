using System.Net.Sockets;
using System.Text;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram (<c>READY=1</c>, <c>STOPPING=1</c>, <c>STATUS=...</c>) to the unix socket
/// named by <c>NOTIFY_SOCKET</c> (a path, or <c>@name</c> in the abstract namespace). Without that variable (not run
/// by systemd as <c>Type=notify</c>) it does nothing. Failures are ignored, as sd_notify's callers do: the service
/// manager's timeout is what reports a daemon that never got ready.
/// </summary>
internal sealed class SystemdNotifier(string? socketPath)
{
    /// <summary>The notifier for this process's environment.</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public bool Enabled => !string.IsNullOrEmpty(socketPath);

    /// <summary>Sends <paramref name="state"/> (newline-separated assignments); true when the datagram went out.</summary>
    public bool Notify(string state)
    {
        if (!Enabled)
        {
            return false;
        }
        // An abstract socket's name starts with a NUL byte where the variable has '@'.
        var path = socketPath![0] == '@' ? "\0" + socketPath[1..] : socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
