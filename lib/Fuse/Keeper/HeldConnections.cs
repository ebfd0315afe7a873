using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Fuse.Interop;

namespace PluggableSnapshotter.Fuse.Keeper;

/// <summary>The keeper's registry: one /dev/fuse descriptor per mount point, with what a resuming server must know.</summary>
internal sealed class HeldConnections(ILogger logger) : IDisposable
{
    private readonly Dictionary<string, (KeptConnection Connection, SafeFileHandle Device)> _held = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
/// Answers one request. Takes ownership of <paramref name="fd"/>; <paramref name="answerFd"/> is only lent, with a
/// reference added so a concurrent release cannot close it before it is sent (the caller releases it).
/// </summary>
    public KeeperResponse Handle(KeeperRequest request, SafeFileHandle? fd, int peer, out SafeFileHandle? answerFd)
    {
        answerFd = null;
        lock (_lock)
        {
            switch (request.Operation)
            {
                case KeeperRequest.Ping:
                    fd?.Dispose();
                    return new KeeperResponse(ProcessId: Environment.ProcessId);
                case KeeperRequest.Deposit:
                    KeptConnection connection = request.Connection ?? throw new ArgumentException("a deposit names its connection");
                    if (fd is null)
                    {
                        throw new ArgumentException("a deposit carries its /dev/fuse descriptor");
                    }

                    Drop(connection.MountPoint);
                    _held[connection.MountPoint] = (connection with { HolderProcessId = peer }, fd);
                    FuseLog.KeeperHolding(logger, connection.MountPoint, connection.Identity, peer);
                    return new KeeperResponse(Connection: _held[connection.MountPoint].Connection);
                case KeeperRequest.Take:
                    fd?.Dispose();
                    PruneDead();
                    if (request.MountPoint is null || !_held.TryGetValue(request.MountPoint, out var entry))
                    {
                        return new KeeperResponse();
                    }

                    KeptConnection taken = entry.Connection with { HolderProcessId = peer };
                    _held[request.MountPoint] = (taken, entry.Device);
                    bool added = false;
                    entry.Device.DangerousAddRef(ref added);
                    answerFd = entry.Device;
                    FuseLog.KeeperHandingOver(logger, request.MountPoint, peer);
                    return new KeeperResponse(Connection: entry.Connection); // with the previous holder, so the taker can tell
                case KeeperRequest.Release:
                    fd?.Dispose();
                    Drop(request.MountPoint ?? throw new ArgumentException("a release names its mount point"));
                    return new KeeperResponse();
                case KeeperRequest.List:
                    fd?.Dispose();
                    PruneDead();
                    return new KeeperResponse(Connections: [.. _held.Values.Select(held => held.Connection)]);
                case KeeperRequest.ReleaseOrphans:
                    fd?.Dispose();
                    var orphans = _held.Values.Select(held => held.Connection).Where(held => !IsAlive(held.HolderProcessId)).ToList();
                    foreach (KeptConnection orphan in orphans)
                    {
                        Drop(orphan.MountPoint);
                    }

                    return new KeeperResponse(Connections: orphans);
                default:
                    fd?.Dispose();
                    throw new ArgumentException($"unknown operation {request.Operation}");
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (string mountPoint in _held.Keys.ToList())
            {
                Drop(mountPoint);
            }
        }
    }

    private void Drop(string mountPoint)
    {
        if (_held.Remove(mountPoint, out var entry))
        {
            entry.Device.Dispose();
            FuseLog.KeeperReleased(logger, mountPoint);
        }
    }

    /// <summary>Forgets connections the kernel has ended (unmounted or aborted: poll reports an error).</summary>
    private void PruneDead()
    {
        foreach (var (mountPoint, entry) in _held.ToList())
        {
            if ((UnixRights.Poll(entry.Device, UnixRights.PollIn, 0) & (UnixRights.PollError | UnixRights.PollInvalid)) != 0)
            {
                FuseLog.KeptConnectionEnded(logger, mountPoint);
                Drop(mountPoint);
            }
        }
    }

    /// <summary>True while the process runs (a zombie, killed but not yet reaped by its parent, counts as gone).</summary>
    private static bool IsAlive(int processId)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{processId}/stat");
            int state = stat.LastIndexOf(')') + 2; // "pid (comm) S ...": comm may contain spaces and parentheses
            return state < stat.Length && stat[state] is not ('Z' or 'X');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
