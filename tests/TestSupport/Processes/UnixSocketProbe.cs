using System.Net.Sockets;

namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>Waits until a server child accepts connections on its unix socket.</summary>
public static class UnixSocketProbe
{
    /// <summary>How long a server may take to start; override with PSNAP_START_TIMEOUT (seconds).</summary>
    public static TimeSpan StartTimeout { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("PSNAP_START_TIMEOUT"), out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(60);

    /// <summary>True if something accepts a connection on <paramref name="path"/> now.</summary>
    public static async Task<bool> AcceptsAsync(string path, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls until <paramref name="path"/> accepts connections. Throws with the child's
    /// output if it exits first or the start timeout passes.
    /// </summary>
    public static async Task WaitAsync(string path, ChildProcess server, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                // Its last words (a configuration error, say) may still be in the pipe.
                await server.WaitForOutputAsync(cancellationToken);
                throw new InvalidOperationException($"{server.Name} exited before serving {path}\n{server.Describe()}");
            }
            if (File.Exists(path) && await AcceptsAsync(path, cancellationToken))
            {
                return;
            }
            await Task.Delay(25, cancellationToken);
        }
        throw new TimeoutException($"{server.Name} did not serve {path} within {StartTimeout}\n{server.Describe()}");
    }
}
