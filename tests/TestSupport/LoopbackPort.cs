using System.Net;
using System.Net.Sockets;

namespace PluggableSnapshotter.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for servers the tests start.</summary>
public static class LoopbackPort
{
    /// <summary>A port the kernel just handed out; the caller binds it right away (and retries on a clash).</summary>
    public static int Reserve()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
