using System.Net.Sockets;
using System.Text;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>
/// systemd's protocols without systemd (root only): the daemon takes a listening socket passed as descriptor 3 with
/// LISTEN_FDS=1 and LISTEN_PID (<c>--address fd://</c>), says READY=1 on NOTIFY_SOCKET only once it serves there, serves
/// containerd through it, and says STOPPING=1 when SIGTERM stops it.
/// </summary>
public sealed class SocketActivationTests
{
    [RootOnlyFact]
    public async Task Start_InheritedSocketAndNotifySocket_ReadyOnlyWhenServingThenStopping()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("socket-activation", ct);
        var socketPath = dir.Combine("activated.sock");
        var config = dir.Combine("plugins.yaml");
        await File.WriteAllTextAsync(config, "plugins: []\n", ct);

        // What systemd does for a socket unit: bind and listen before the service starts.
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(socketPath));
        listening.Listen(16);
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var notifyPath = dir.Combine("notify.sock");
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        await using var daemon = StartActivated(listening, notifyPath, dir.Combine("root"), config);
        var ready = await ReceiveAsync(notify, ct);
        Assert.True(ready.Contains("READY=1", StringComparison.Ordinal), ready);
        // Logged just before READY=1; the console logger writes from its own queue, so the line may trail the datagram.
        Assert.True(await daemon.WaitForTextAsync("serving on fd://", ct), daemon.Describe());

        await using (var containerd = await ContainerdFixture.StartAsync(new ContainerdOptions
        {
            WorkDirectory = dir.Path,
            ProxySnapshotters = new Dictionary<string, string> { ["pluggable"] = socketPath },
        }, ct))
        {
            await containerd.WaitForSnapshotterAsync("pluggable", ct);
            await containerd.CtrAsync(["snapshots", "--snapshotter", "pluggable", "prepare", "activated-key"], ct);
            var list = await containerd.CtrAsync(["snapshots", "--snapshotter", "pluggable", "ls"], ct);
            Assert.Contains("activated-key", list.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Equal(0, await daemon.StopAsync(ct));
        var stopping = await ReceiveAsync(notify, ct);
        Assert.True(stopping.Contains("STOPPING=1", StringComparison.Ordinal), stopping);
        Assert.True(File.Exists(socketPath), "the socket unit's socket must stay in place after the daemon stops");
    }

    [RootOnlyFact]
    public async Task Start_FdAddressWithoutActivation_RefusesWithReason()
    {
        var result = await DaemonProcess.RunAsync("--address", "fd://", "--root", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N")), "--config", "/dev/null");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("LISTEN_PID and LISTEN_FDS are not set", result.StandardError, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts the daemon through bash, which moves the inherited socket to descriptor 3 and sets LISTEN_PID to its
    /// own pid before exec'ing the daemon (exec keeps the pid), as systemd does.
    /// </summary>
    private static ChildProcess StartActivated(Socket listening, string notifyPath, string root, string config)
    {
        var fd = (int)listening.Handle;
        // .NET opens sockets close-on-exec; systemd's are not.
        Assert.Equal(0, Mono.Unix.Native.Syscall.fcntl(fd, Mono.Unix.Native.FcntlCommand.F_SETFD, 0));
        var script = $"exec 3<&{fd} {fd}<&-; LISTEN_PID=$$ LISTEN_FDS=1 exec dotnet \"$0\" \"$@\"";
        return ChildProcess.Start("daemon", "/bin/bash",
            ["-c", script, DaemonProcess.Dll, "--address", "fd://", "--root", root, "--config", config, "--fuse-keeper", "off", "--log-level", "debug"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath });
    }

    private static async Task<string> ReceiveAsync(Socket notify, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var received = await notify.ReceiveAsync(buffer, SocketFlags.None, ct);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }
}
