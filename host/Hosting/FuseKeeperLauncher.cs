using System.Diagnostics;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// Starts the FUSE keeper of this root (<c>pluggable-snapshotter keeper</c>, in its own session, so neither a crash
/// nor the stop of the daemon's process group takes it down) unless one already runs, and tells backends where it
/// is through <see cref="FuseKeeperClient.EnvironmentVariable"/>: their FUSE mounts then outlive a daemon crash or
/// upgrade, and the next daemon resumes them.
/// </summary>
internal sealed class FuseKeeperLauncher(DaemonSettings settings, ILogger<FuseKeeperLauncher> logger)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);

    /// <summary>The running keeper, once <see cref="StartAsync"/> has found or started it; null when none could run.</summary>
    public FuseKeeperClient? Client { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.FuseKeeper is null)
        {
            // Plugins read the same variable: make sure none of them deposits anything.
            Environment.SetEnvironmentVariable(FuseKeeperClient.EnvironmentVariable, null);
            HostLog.FuseKeeperOff(logger);
            return;
        }
        var client = new FuseKeeperClient(settings.FuseKeeper);
        var processId = await client.PingAsync(cancellationToken);
        if (processId == 0)
        {
            Spawn(client.SocketPath);
            var waited = Stopwatch.StartNew();
            while ((processId = await client.PingAsync(cancellationToken)) == 0 && waited.Elapsed < StartLimit)
            {
                await Task.Delay(100, cancellationToken);
            }
            if (processId == 0)
            {
                HostLog.FuseKeeperDidNotStart(logger, LogPath);
                return;
            }
            HostLog.FuseKeeperStarted(logger, processId, client.SocketPath);
        }
        else
        {
            HostLog.FuseKeeperAlreadyRuns(logger, processId, client.SocketPath);
        }
        // Plugins load their own copy of the FUSE library and cannot be handed this client: the environment crosses.
        Environment.SetEnvironmentVariable(FuseKeeperClient.EnvironmentVariable, client.SocketPath);
        Client = client;
    }

    private string LogPath => Path.ChangeExtension(settings.FuseKeeper!, ".log");

    private void Spawn(string socket)
    {
        // setsid -f: a new session, detached from the daemon's process group and terminal; output to its own log, so it
        // holds none of the daemon's pipes open.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", "exec setsid -f \"$@\" </dev/null >>\"$0\" 2>&1", LogPath, .. KeeperCommand(socket)])
        {
            info.ArgumentList.Add(argument);
        }
        using var shell = Process.Start(info) ?? throw new IOException("could not start /bin/sh for the FUSE keeper");
        shell.WaitForExit();
    }

    /// <summary>This binary again (through dotnet when run as a dll), as <c>keeper --socket S --log-level L</c>.</summary>
    private string[] KeeperCommand(string socket)
    {
        var process = Environment.ProcessPath ?? throw new IOException("the daemon's own executable is unknown");
        string[] keeper = ["keeper", "--socket", socket, "--log-level", settings.LogLevel];
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Environment.GetCommandLineArgs()[0], .. keeper]
            : [process, .. keeper];
    }
}
