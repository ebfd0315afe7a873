using System.Net.Sockets;
using System.Runtime.InteropServices;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// <c>pluggable-snapshotter keeper --socket PATH [--listen-fd N] [--log-level LEVEL]</c>: runs the FUSE keeper, which
/// holds the /dev/fuse descriptors of lazily served mounts while no daemon serves them. The daemon starts it, handing
/// it the socket already listening as descriptor N; run it as its own service instead when the daemon's service
/// manager kills every process of the daemon's group on stop.
/// </summary>
internal static class KeeperCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? socket = null;
        int? listenFd = null;
        var level = "information";
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--socket": socket = args[i + 1]; break;
                case "--log-level": level = args[i + 1]; break;
                case "--listen-fd":
                    if (!int.TryParse(args[i + 1], out var fd) || fd <= 2)
                    {
                        Console.Error.WriteLine($"pluggable-snapshotter keeper: --listen-fd {args[i + 1]} is not a descriptor above 2");
                        return 2;
                    }
                    listenFd = fd;
                    break;
                default:
                    Console.Error.WriteLine($"pluggable-snapshotter keeper: unknown option {args[i]}");
                    return 2;
            }
        }
        if (socket is null || args.Count % 2 != 0)
        {
            Console.Error.WriteLine("usage: pluggable-snapshotter keeper --socket PATH [--listen-fd N] [--log-level LEVEL]");
            return 2;
        }

        var minimum = DaemonSettings.Parse(["--log-level", level], _ => null).MinimumLevel;
        using var loggers = DaemonLogging.CreateFactory(minimum);
        using var stop = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stop.Cancel(); });
        var logger = loggers.CreateLogger("PluggableSnapshotter.FuseKeeper");
        if (listenFd is not { } descriptor)
        {
            return await FuseKeeper.RunAsync(socket, logger, stop.Token) ? 0 : 1;
        }
        // Inherited without close-on-exec: set it, so nothing this process starts holds the listener.
        if (Mono.Unix.Native.Syscall.fcntl(descriptor, Mono.Unix.Native.FcntlCommand.F_SETFD, 1) != 0)
        {
            Console.Error.WriteLine($"pluggable-snapshotter keeper: --listen-fd {descriptor} is not open");
            return 2;
        }
        using var listener = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        return await FuseKeeper.ServeAsync(listener, socket, logger, stop.Token) ? 0 : 1;
    }
}
