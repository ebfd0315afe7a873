using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Keeper;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// Talks to a <see cref="FuseKeeper"/>. Give it to <see cref="FuseMountOptions.Keeper"/> and a mount deposits its
/// connection after INIT, and a later mount of the same tree at the same place (after a crash or a restart) resumes
/// it instead of mounting again. Each call is one short connection; a keeper that does not answer within
/// <see cref="Timeout"/> fails the call with <see cref="IOException"/>.
/// </summary>
public sealed class FuseKeeperClient(string socketPath)
{
    /// <summary>
    /// The environment variable naming the keeper's socket for code that cannot be handed a client (a plugin loaded
    /// into a daemon that runs the keeper): see <see cref="FromEnvironment"/>.
    /// </summary>
    public const string EnvironmentVariable = "PSNAP_FUSE_KEEPER";

    private const int MessageSize = 1024 * 1024;

    /// <summary>The keeper's unix socket.</summary>
    public string SocketPath { get; } = Path.GetFullPath(socketPath);

    /// <summary>How long one call may wait for the keeper.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A client for the socket named by <see cref="EnvironmentVariable"/>, or null when it is unset or empty.</summary>
    public static FuseKeeperClient? FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? new FuseKeeperClient(path) : null;

    /// <summary>The keeper's process id, or 0 when no keeper answers.</summary>
    public async Task<int> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            (KeeperResponse response, SafeFileHandle? fd) = await CallAsync(new KeeperRequest(KeeperRequest.Ping), null, cancellationToken).ConfigureAwait(false);
            fd?.Dispose();
            return response.ProcessId;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Makes each call a mount makes once (ping, take, deposit, release) for <paramref name="probeMountPoint"/>, where
    /// nothing may be mounted, depositing a descriptor of /dev/null that is released at once. Run it right after starting
    /// a keeper, off any request's path: the first real mount then finds the keeper up and both sides' request paths
    /// compiled (~60-100 ms of a first mount otherwise). A probe left held by a crash is an orphan like any other: the
    /// next daemon releases it (<see cref="ReleaseOrphansAsync"/>), and nothing is mounted there to unmount.
    /// </summary>
    /// <returns>False when no keeper answers.</returns>
    /// <exception cref="IOException">The keeper refused a call.</exception>
    public async Task<bool> WarmUpAsync(string probeMountPoint, CancellationToken cancellationToken)
    {
        if (await PingAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }

        string probe = Normalize(probeMountPoint);
        if (await TakeAsync(probe, cancellationToken).ConfigureAwait(false) is { } left)
        {
            left.Device.Dispose(); // a probe a crashed run left: replaced and released below
        }

        using SafeFileHandle nothing = File.OpenHandle("/dev/null");
        await DepositAsync(new KeptConnection { MountPoint = probe, Identity = "warm-up", Device = "0:0" }, nothing, cancellationToken).ConfigureAwait(false);
        await ReleaseAsync(probe, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The connections the keeper holds (those the kernel has ended are dropped first).</summary>
    public async Task<IReadOnlyList<KeptConnection>> ListAsync(CancellationToken cancellationToken) =>
        (await CallCheckedAsync(new KeeperRequest(KeeperRequest.List), null, cancellationToken).ConfigureAwait(false)).Connections ?? [];

    /// <summary>Closes the keeper's descriptor of the mount at <paramref name="mountPoint"/> (it is gone for good).</summary>
    public Task ReleaseAsync(string mountPoint, CancellationToken cancellationToken) =>
        CallCheckedAsync(new KeeperRequest(KeeperRequest.Release, Normalize(mountPoint)), null, cancellationToken);

    /// <summary>
    /// Releases every connection whose serving process is gone and that no process has taken back (a restarted
    /// daemon that did not resume a mount will not serve it), and returns them: their mounts now answer ENOTCONN
    /// and may be unmounted.
    /// </summary>
    public async Task<IReadOnlyList<KeptConnection>> ReleaseOrphansAsync(CancellationToken cancellationToken) =>
        (await CallCheckedAsync(new KeeperRequest(KeeperRequest.ReleaseOrphans), null, cancellationToken).ConfigureAwait(false)).Connections ?? [];

    internal Task DepositAsync(KeptConnection connection, SafeHandle device, CancellationToken cancellationToken) =>
        CallCheckedAsync(new KeeperRequest(KeeperRequest.Deposit, connection.MountPoint, connection), device, cancellationToken);

    /// <summary>The held connection of <paramref name="mountPoint"/> and a descriptor of it, or null when none is held.</summary>
    internal async Task<(KeptConnection Connection, SafeFileHandle Device)?> TakeAsync(string mountPoint, CancellationToken cancellationToken)
    {
        (KeeperResponse response, SafeFileHandle? fd) = await CallAsync(new KeeperRequest(KeeperRequest.Take, Normalize(mountPoint)), null, cancellationToken).ConfigureAwait(false);
        if (response.Error is not null || response.Connection is null || fd is null)
        {
            fd?.Dispose();
            return response.Error is null ? null : throw new IOException($"The FUSE keeper at {SocketPath} refused: {response.Error}");
        }

        return (response.Connection, fd);
    }

    private async Task<KeeperResponse> CallCheckedAsync(KeeperRequest request, SafeHandle? device, CancellationToken cancellationToken)
    {
        (KeeperResponse response, SafeFileHandle? fd) = await CallAsync(request, device, cancellationToken).ConfigureAwait(false);
        fd?.Dispose();
        return response.Error is null ? response : throw new IOException($"The FUSE keeper at {SocketPath} refused {request.Operation}: {response.Error}");
    }

    private async Task<(KeeperResponse Response, SafeFileHandle? Fd)> CallAsync(KeeperRequest request, SafeHandle? device, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Blocking socket calls, bounded by poll: off the caller's thread so a hung keeper cannot hold it.
        return await Task.Run(() => Call(request, device), CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private (KeeperResponse Response, SafeFileHandle? Fd) Call(KeeperRequest request, SafeHandle? device)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        }
        catch (SocketException exception)
        {
            throw new IOException($"No FUSE keeper answers at {SocketPath}: {exception.Message}", exception);
        }

        byte[] message = JsonSerializer.SerializeToUtf8Bytes(request, KeeperJson.Default.KeeperRequest);
        bool added = false;
        try
        {
            device?.DangerousAddRef(ref added);
            UnixRights.Send(socket.SafeHandle, message, device is null ? -1 : (int)device.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                device!.DangerousRelease();
            }
        }

        if ((UnixRights.Poll(socket.SafeHandle, UnixRights.PollIn, (int)Timeout.TotalMilliseconds) & (UnixRights.PollIn | UnixRights.PollHangUp)) == 0)
        {
            throw new IOException($"The FUSE keeper at {SocketPath} did not answer {request.Operation} within {Timeout.TotalSeconds:0.#} s");
        }

        byte[] buffer = new byte[MessageSize];
        int length = UnixRights.Receive(socket.SafeHandle, buffer, out SafeFileHandle? fd);
        if (length == 0)
        {
            fd?.Dispose();
            throw new IOException($"The FUSE keeper at {SocketPath} closed the connection without answering {request.Operation}");
        }

        try
        {
            KeeperResponse response = JsonSerializer.Deserialize(buffer.AsSpan(0, length), KeeperJson.Default.KeeperResponse)
                ?? throw new IOException("empty answer");
            return (response, fd);
        }
        catch (JsonException exception)
        {
            fd?.Dispose();
            throw new IOException($"The FUSE keeper at {SocketPath} answered {request.Operation} with garbage: {exception.Message}", exception);
        }
    }

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
