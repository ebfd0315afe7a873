using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>
/// Runs out/host/pluggable-snapshotter with a private root, socket and plugins.yaml,
/// waits until the socket accepts connections, and on disposal stops it and unmounts
/// everything below its root (root only). Its log is kept for failure messages.
/// </summary>
public sealed class SnapshotterDaemon : IAsyncDisposable
{
    private readonly Func<ChildProcess> _start;
    private readonly TmpfsDirectory? _ownedDirectory;
    private readonly List<string> _previousLogs = [];
    private ChildProcess _process;

    private SnapshotterDaemon(Func<ChildProcess> start, string root, string socket, string configPath, TmpfsDirectory? ownedDirectory)
    {
        _start = start;
        _process = start();
        Root = root;
        Socket = socket;
        ConfigPath = configPath;
        _ownedDirectory = ownedDirectory;
    }

    /// <summary>The daemon's --root.</summary>
    public string Root { get; }

    /// <summary>The daemon's --address (a unix socket).</summary>
    public string Socket { get; }

    /// <summary>The plugins.yaml it was started with.</summary>
    public string ConfigPath { get; }

    /// <summary>Everything the current daemon process logged so far.</summary>
    public string Log => _process.Output;

    /// <summary>True while the daemon process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>The exit code of the current process, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Text for an assertion message: state and full log, including runs before a restart.</summary>
    public string Describe() => string.Concat(_previousLogs) + _process.Describe();

    /// <summary>Starts the daemon and waits until it serves its socket.</summary>
    public static async Task<SnapshotterDaemon> StartAsync(SnapshotterDaemonOptions options, CancellationToken cancellationToken)
    {
        TmpfsDirectory? owned = null;
        var workDirectory = options.WorkDirectory;
        if (workDirectory is null)
        {
            owned = await TmpfsDirectory.CreateAsync("daemon", cancellationToken);
            workDirectory = owned.Path;
        }
        try
        {
            var root = Path.Combine(workDirectory, "psnap");
            var socket = Path.Combine(workDirectory, "psnap.sock");
            var config = options.ConfigPath;
            if (config is null)
            {
                config = Path.Combine(workDirectory, "plugins.yaml");
                await File.WriteAllTextAsync(config, options.PluginsYaml, cancellationToken);
            }
            var daemon = options.DaemonPath ?? RepositoryPaths.Daemon;
            if (!File.Exists(daemon))
            {
                throw new FileNotFoundException($"snapshotter daemon {daemon} not found: run scripts/build.sh (or set PSNAP_DAEMON)", daemon);
            }
            string[] arguments = ["--root", root, "--address", socket, "--config", config, "--log-level", options.LogLevel];
            ChildProcess Start() => daemon.EndsWith(".dll", StringComparison.Ordinal)
                ? ChildProcess.Start("pluggable-snapshotter", "dotnet", [daemon, .. arguments], options.Environment)
                : ChildProcess.Start("pluggable-snapshotter", daemon, arguments, options.Environment);
            var started = new SnapshotterDaemon(Start, root, socket, config, owned);
            try
            {
                await UnixSocketProbe.WaitAsync(socket, started._process, cancellationToken);
            }
            catch
            {
                await started.DisposeAsync();
                throw;
            }
            return started;
        }
        catch when (owned is not null)
        {
            await owned.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits (10 s at most) until the daemon's output holds <paramref name="text"/>: its console logger writes from a
    /// queue of its own, so a line logged before the socket appeared may reach us a little after it.
    /// </summary>
    public Task<bool> WaitForLogAsync(string text, CancellationToken cancellationToken) => _process.WaitForTextAsync(text, cancellationToken);

    /// <summary>Stops the daemon (SIGTERM, then kill) and returns its exit code.</summary>
    public Task<int> StopAsync(CancellationToken cancellationToken) => _process.StopAsync(cancellationToken);

    /// <summary>Kills the daemon with SIGKILL, as a crash would (its FUSE keeper lives on); <see cref="RestartAsync"/> starts it again.</summary>
    public Task<int> KillAsync(CancellationToken cancellationToken) => _process.KillAsync(cancellationToken);

    /// <summary>
    /// Stops the daemon if it runs and starts it again with the same root, socket and
    /// config (what a node reboot or daemon upgrade does); waits for the socket.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await _process.DisposeAsync();
        _previousLogs.Add(_process.Describe() + "\n");
        _process = _start();
        await UnixSocketProbe.WaitAsync(Socket, _process, cancellationToken);
    }

    /// <summary>Kills the daemon with SIGKILL (a crash: nothing of its own cleanup runs) and starts it again; waits for the socket.</summary>
    public async Task CrashAndRestartAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            using var process = System.Diagnostics.Process.GetProcessById(_process.Id);
            process.Kill(); // SIGKILL on Linux
            await process.WaitForExitAsync(cancellationToken);
        }
        await RestartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        MountTable.UnmountUnder(Root);
        // The daemon's FUSE keeper runs in its own session and outlives it; it stops once its socket file is gone.
        if (Directory.Exists(Root))
        {
            File.Delete(Path.Combine(Root, "fuse-keeper.sock"));
        }
        if (_ownedDirectory is not null)
        {
            await _ownedDirectory.DisposeAsync();
        }
    }
}
