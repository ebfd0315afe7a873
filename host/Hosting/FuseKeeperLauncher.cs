using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
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
    /// <summary>
    /// The keeper when it ran before this daemon started, so it may hold connections of an earlier run to resume or
    /// release; null when there is none or this daemon started it (it holds only what this daemon deposits).
    /// </summary>
    public FuseKeeperClient? EarlierRunsKeeper { get; private set; }

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
        // No socket file, no keeper: skip the ping, whose failure costs the first exceptions thrown on the start path.
        var processId = File.Exists(client.SocketPath) ? await client.PingAsync(cancellationToken) : 0;
        if (processId == 0)
        {
            // No keeper, so nothing to resume. The new one gets its socket already listening, and is started off the
            // path to the daemon's socket (~0.2 s of runtime start for it, 20-40 ms of fork and exec here): calls made
            // meanwhile wait in the socket's backlog until it answers.
            Socket listener;
            try
            {
                listener = FuseKeeper.Listen(client.SocketPath);
            }
            catch (Exception exception) when (exception is IOException or SocketException or UnauthorizedAccessException or ArgumentException)
            {
                HostLog.FuseKeeperDidNotStart(logger, exception.Message, LogPath);
                return;
            }
            _ = Task.Run(() => SpawnAndLetGo(client.SocketPath, listener), CancellationToken.None);
        }
        else
        {
            HostLog.FuseKeeperAlreadyRuns(logger, processId, client.SocketPath);
            EarlierRunsKeeper = client;
        }
        // Plugins load their own copy of the FUSE library and cannot be handed this client: the environment crosses.
        Environment.SetEnvironmentVariable(FuseKeeperClient.EnvironmentVariable, client.SocketPath);
    }

    /// <summary>Starts the keeper and closes the daemon's copy of its listener; failures are logged (mounts then stay unkept).</summary>
    private void SpawnAndLetGo(string socket, Socket listener)
    {
        using (listener)
        {
            try
            {
                Spawn(socket, listener);
                HostLog.FuseKeeperStarted(logger, socket, LogPath);
            }
            catch (Exception exception) when (exception is IOException or System.ComponentModel.Win32Exception)
            {
                HostLog.FuseKeeperDidNotStart(logger, exception.Message, LogPath);
            }
        }
    }

    private string LogPath => Path.ChangeExtension(settings.FuseKeeper!, ".log");

    private void Spawn(string socket, Socket listener)
    {
        // The listener crosses exec only without close-on-exec; the daemon's copy is closed right after the spawn. A child
        // started by another thread meanwhile would inherit it too: none is started before the socket serves (the only
        // other child process, parallel-pull's external decompressor, runs during a Prepare).
        var descriptor = (int)listener.SafeHandle.DangerousGetHandle();
        if (Mono.Unix.Native.Syscall.fcntl(descriptor, Mono.Unix.Native.FcntlCommand.F_SETFD, 0) != 0)
        {
            throw new IOException($"could not hand the FUSE keeper's socket {socket} to the keeper");
        }
        // setsid -f: a new session, detached from the daemon's process group and terminal; output to its own log, so it
        // holds none of the daemon's pipes open.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", "exec setsid -f \"$@\" </dev/null >>\"$0\" 2>&1", LogPath, .. KeeperCommand(socket, descriptor)])
        {
            info.ArgumentList.Add(argument);
        }
        using var shell = Process.Start(info) ?? throw new IOException("could not start /bin/sh for the FUSE keeper");
        shell.WaitForExit();
        if (shell.ExitCode != 0)
        {
            throw new IOException($"the FUSE keeper did not start (exit {shell.ExitCode}); see {LogPath}");
        }
    }

    /// <summary>This binary again (through dotnet when run as a dll), as <c>keeper --socket S --listen-fd N --log-level L</c>.</summary>
    private string[] KeeperCommand(string socket, int listenFd)
    {
        var process = Environment.ProcessPath ?? throw new IOException("the daemon's own executable is unknown");
        string[] keeper = ["keeper", "--socket", socket, "--listen-fd", listenFd.ToString(CultureInfo.InvariantCulture), "--log-level", settings.LogLevel];
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Environment.GetCommandLineArgs()[0], .. keeper]
            : [process, .. keeper];
    }
}
