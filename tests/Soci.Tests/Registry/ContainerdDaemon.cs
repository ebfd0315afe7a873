using System.Diagnostics;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// A private containerd (root-only) with its root, state and socket on a tmpfs directory, CRI off, used to check
/// that containerd's own overlayfs snapshotter still pulls and runs SOCI-enabled images.
/// </summary>
public sealed class ContainerdDaemon : IAsyncLifetime
{
    private Process? _daemon;

    public string Root { get; } = Path.Combine("/dev/shm", "soci-containerd-" + Guid.NewGuid().ToString("N")[..12]);
    public string Socket => Path.Combine(Root, "containerd.sock");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        string config = Path.Combine(Root, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{Root}/root"
            state = "{Root}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                                "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Root}/containerd.ttrpc.sock"
            [debug]
              address = ""
            [metrics]
              address = ""
            """);
        _daemon = Process.Start(new ProcessStartInfo("containerd", ["--config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("cannot start containerd");
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        for (int i = 0; i < 100 && !File.Exists(Socket); i++)
        {
            await Task.Delay(100);
        }
        Ctr("version");
    }

    /// <summary>Runs ctr against this daemon in the "soci-tests" namespace.</summary>
    public string Ctr(params string[] args) => Tool.Run("ctr", Root, ["--address", Socket, "--namespace", "soci-tests", .. args]);

    public Task DisposeAsync()
    {
        if (_daemon is { HasExited: false })
        {
            _daemon.Kill(entireProcessTree: true);
            _daemon.WaitForExit();
        }
        _daemon?.Dispose();
        // Overlay mounts of a failed run would keep files busy: unmount whatever is left under the root.
        foreach (string mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(Root, StringComparison.Ordinal)).Reverse())
        {
            Tool.Run("umount", "/", "-l", mount);
        }
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        return Task.CompletedTask;
    }
}
