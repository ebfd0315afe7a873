using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Keeper;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// The keeper: a small process that holds the /dev/fuse descriptors of mounts so their kernel connections outlive
/// the process serving them (the kernel aborts a connection only when its last descriptor closes). It serves nothing:
/// requests that arrive while no server runs wait in the kernel, and the next server takes the descriptor back
/// (<see cref="FuseKeeperClient"/>) and answers them. Run it in its own session, so it is not killed with the
/// daemon's process group. It listens on a SOCK_SEQPACKET unix socket (mode 0600) and stops when cancelled or when
/// its socket file is removed; stopping closes every descriptor it holds.
/// </summary>
public static class FuseKeeper
{
    private const int MessageSize = 1024 * 1024;

    /// <summary>Serves the keeper on <paramref name="socketPath"/> until <paramref name="cancellationToken"/> or the socket file goes away.</summary>
    /// <returns>False when another keeper already answers on that socket (this one did not start).</returns>
    public static async Task<bool> RunAsync(string socketPath, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var client = new FuseKeeperClient(socketPath);
        if (await client.PingAsync(cancellationToken).ConfigureAwait(false) != 0)
        {
            FuseLog.KeeperAlreadyListens(logger, socketPath);
            return false;
        }

        using var listener = Listen(socketPath);
        return await ServeAsync(listener, socketPath, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Binds and listens on <paramref name="socketPath"/> (mode 0600), replacing a stale socket file of a dead keeper.
    /// A daemon that starts a keeper makes the listener itself and hands it over (<see cref="ServeAsync"/>): callers can
    /// connect at once, and their calls wait in the backlog until the new process answers.
    /// </summary>
    public static Socket Listen(string socketPath)
    {
        // Bound under a temporary name and renamed into place: a Socket deletes the path it bound when disposed, and the
        // daemon disposes its copy once the keeper has it. Renamed, the socket stays reachable and only the old name goes.
        // A short temporary name: a unix socket's path is limited (108 bytes), and a longer name than the final one may not fit.
        var bound = Path.Join(Path.GetDirectoryName(Path.GetFullPath(socketPath)), $".k{Environment.ProcessId}");
        File.Delete(bound);
        var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            File.Move(bound, socketPath, overwrite: true); // replaces a stale socket of a dead keeper
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Serves the keeper on a listening socket bound to <paramref name="socketPath"/> (see <see cref="Listen"/>).</summary>
    public static async Task<bool> ServeAsync(Socket listener, string socketPath, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(logger);
        var held = new HeldConnections(logger);
        FuseLog.KeeperListening(logger, Environment.ProcessId, socketPath);
        var acceptor = new Thread(() => AcceptLoop(listener, held, logger)) { IsBackground = true, Name = "fuse-keeper-accept" };
        acceptor.Start();
        try
        {
            // The socket file is the keeper's only address: once it is gone (its root removed) nobody can reach it.
            while (File.Exists(socketPath))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            FuseLog.KeeperSocketGone(logger, socketPath);
        }
        catch (OperationCanceledException)
        {
            FuseLog.KeeperStopping(logger);
            File.Delete(socketPath); // stopped: no keeper answers here any more (the listener was bound under another name)
        }
        finally
        {
            listener.Close();
            held.Dispose();
        }

        return true;
    }

    private static void AcceptLoop(Socket listener, HeldConnections held, ILogger logger)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = listener.Accept();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return; // the listener closed: the keeper is stopping
            }

            var thread = new Thread(() => Serve(connection, held, logger)) { IsBackground = true, Name = "fuse-keeper-client" };
            thread.Start();
        }
    }

    private static void Serve(Socket connection, HeldConnections held, ILogger logger)
    {
        using (connection)
        {
            byte[] buffer = new byte[MessageSize];
            int peer = UnixRights.PeerProcessId(connection.SafeHandle);
            try
            {
                while (true)
                {
                    int length = UnixRights.Receive(connection.SafeHandle, buffer, out SafeFileHandle? fd);
                    if (length == 0)
                    {
                        fd?.Dispose();
                        return;
                    }

                    KeeperResponse response;
                    SafeFileHandle? answerFd = null;
                    try
                    {
                        KeeperRequest request = JsonSerializer.Deserialize(buffer.AsSpan(0, length), KeeperJson.Default.KeeperRequest)
                            ?? throw new InvalidDataException("empty request");
                        response = held.Handle(request, fd, peer, out answerFd);
                        fd = null; // the registry owns a deposited descriptor now (and closed any other)
                    }
                    catch (Exception exception) when (exception is JsonException or InvalidDataException or ArgumentException)
                    {
                        response = new KeeperResponse(Error: exception.Message);
                    }
                    finally
                    {
                        fd?.Dispose();
                    }

                    byte[] answer = JsonSerializer.SerializeToUtf8Bytes(response, KeeperJson.Default.KeeperResponse);
                    try
                    {
                        UnixRights.Send(connection.SafeHandle, answer, answerFd is null ? -1 : (int)answerFd.DangerousGetHandle());
                    }
                    finally
                    {
                        answerFd?.DangerousRelease();
                    }
                }
            }
            catch (IOException exception)
            {
                FuseLog.KeeperClientDropped(logger, peer, exception.Message);
            }
        }
    }
}
