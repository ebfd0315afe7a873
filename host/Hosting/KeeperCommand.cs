using System.Runtime.InteropServices;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// <c>pluggable-snapshotter keeper --socket PATH [--log-level LEVEL]</c>: runs the FUSE keeper, which holds the
/// /dev/fuse descriptors of lazily served mounts while no daemon serves them. The daemon starts it; run it as its
/// own service instead when the daemon's service manager kills every process of the daemon's group on stop.
/// </summary>
internal static class KeeperCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? socket = null;
        var level = "information";
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--socket": socket = args[i + 1]; break;
                case "--log-level": level = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"pluggable-snapshotter keeper: unknown option {args[i]}");
                    return 2;
            }
        }
        if (socket is null || args.Count % 2 != 0)
        {
            Console.Error.WriteLine("usage: pluggable-snapshotter keeper --socket PATH [--log-level LEVEL]");
            return 2;
        }

        var minimum = DaemonSettings.Parse(["--log-level", level], _ => null).MinimumLevel;
        using var loggers = DaemonLogging.CreateFactory(minimum);
        using var stop = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stop.Cancel(); });
        return await FuseKeeper.RunAsync(socket, loggers.CreateLogger("PluggableSnapshotter.FuseKeeper"), stop.Token) ? 0 : 1;
    }
}
