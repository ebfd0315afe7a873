using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Containerd;

/// <summary>
/// A private containerd 1.6 (root only) with its own root, state, sockets and runc root,
/// loading the given proxy snapshotters; helpers run <c>ctr</c> and <c>ctr-remote</c>
/// against it. Disposal kills the shims it started, stops containerd, removes runc state
/// and unmounts everything below its directory.
/// </summary>
public sealed class ContainerdFixture : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly TmpfsDirectory? _ownedDirectory;

    private ContainerdFixture(ChildProcess process, string directory, string ns, TmpfsDirectory? owned)
    {
        _process = process;
        _directory = directory;
        Namespace = ns;
        _ownedDirectory = owned;
    }

    /// <summary>containerd's gRPC socket (ctr --address).</summary>
    public string Address => Path.Combine(_directory, "c.sock");

    /// <summary>The namespace the helpers pass to ctr (-n).</summary>
    public string Namespace { get; }

    /// <summary>The runc state directory for containers started through <see cref="RunContainerAsync"/>.</summary>
    public string RuncRoot => Path.Combine(_directory, "runc");

    /// <summary>containerd's log so far.</summary>
    public string Log => _process.Output;

    /// <summary>Text for an assertion message: state and full log.</summary>
    public string Describe() => _process.Describe();

    /// <summary>Writes the config, starts containerd and waits for its socket.</summary>
    public static async Task<ContainerdFixture> StartAsync(ContainerdOptions options, CancellationToken cancellationToken)
    {
        TmpfsDirectory? owned = null;
        var directory = options.WorkDirectory;
        if (directory is null)
        {
            owned = await TmpfsDirectory.CreateAsync("containerd", cancellationToken);
            directory = owned.Path;
        }
        directory = Directory.CreateDirectory(Path.Combine(directory, "ctd")).FullName;
        var config = Path.Combine(directory, "config.toml");
        await File.WriteAllTextAsync(
            config,
            ContainerdConfig.Render(Path.Combine(directory, "root"), Path.Combine(directory, "state"), Path.Combine(directory, "c.sock"), options.ProxySnapshotters),
            cancellationToken);
        var process = ChildProcess.Start("containerd", options.Binary, ["--config", config]);
        var fixture = new ContainerdFixture(process, directory, options.Namespace, owned);
        try
        {
            await UnixSocketProbe.WaitAsync(fixture.Address, process, cancellationToken);
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
        return fixture;
    }

    /// <summary>Runs <c>ctr --address … -n … args</c>; the result carries the exit code.</summary>
    public Task<ProcessResult> TryCtrAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("ctr", ["--address", Address, "-n", Namespace, .. arguments], cancellationToken);

    /// <summary>Runs ctr and throws, with ctr's and containerd's output, unless it succeeds.</summary>
    public Task<ProcessResult> CtrAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        CheckedAsync("ctr", arguments, cancellationToken);

    /// <summary>Runs <c>ctr-remote</c> (stargz-snapshotter's ctr, with <c>image rpull</c>) and throws unless it succeeds.</summary>
    public Task<ProcessResult> CtrRemoteAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        CheckedAsync("ctr-remote", arguments, cancellationToken);

    /// <summary>
    /// <c>ctr run --rm</c> a container from <paramref name="image"/> on <paramref name="snapshotter"/>
    /// with runc state under this fixture; returns what the command printed. A run that succeeds with no output at all is
    /// run once more: containerd's shim can lose the output of a process that exits right after printing (a whole-suite
    /// run met it once, `wc -c` printing nothing; concourse/concourse#6775 describes the race).
    /// </summary>
    public async Task<string> RunContainerAsync(string image, string snapshotter, IEnumerable<string> command, CancellationToken cancellationToken)
    {
        string[] arguments = [.. command];
        var output = await RunContainerOnceAsync(image, snapshotter, arguments, cancellationToken);
        return output.Length > 0 ? output : await RunContainerOnceAsync(image, snapshotter, arguments, cancellationToken);
    }

    private async Task<string> RunContainerOnceAsync(string image, string snapshotter, string[] command, CancellationToken cancellationToken)
    {
        var id = $"run-{Guid.NewGuid():N}"[..16];
        var result = await CtrAsync(
            ["run", "--rm", "--snapshotter", snapshotter, "--runc-root", RuncRoot, image, id, .. command], cancellationToken);
        return result.StandardOutput;
    }

    /// <summary>
    /// Waits until containerd talks to the proxy snapshotter <paramref name="snapshotter"/>: its first handshake with a
    /// just-started (or restarted) daemon may fail, and containerd's gRPC client then redials with backoff.
    /// </summary>
    public async Task WaitForSnapshotterAsync(string snapshotter, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await TryCtrAsync(["snapshots", "--snapshotter", snapshotter, "ls"], cancellationToken);
            if (result.ExitCode == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                result.EnsureSuccess();
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>
    /// Lists <paramref name="image"/>'s root filesystem as <paramref name="snapshotter"/> holds it: a container's snapshot
    /// (an empty active layer over the image's chain) mounted with the mounts the snapshotter returns, at
    /// <paramref name="target"/>. (ctr 1.6's <c>images mount</c> ignores its --snapshotter flag, so it is not used.)
    /// </summary>
    public async Task<IReadOnlyList<Rootfs.RootfsEntry>> CaptureImageRootfsAsync(string image, string snapshotter, string target, CancellationToken cancellationToken)
    {
        var id = $"rootfs-{Guid.NewGuid():N}"[..20];
        Directory.CreateDirectory(target);
        await CtrAsync(["containers", "create", "--snapshotter", snapshotter, image, id], cancellationToken);
        try
        {
            var mount = (await CtrAsync(["snapshots", "--snapshotter", snapshotter, "mounts", target, id], cancellationToken)).StandardOutput.Trim();
            await ProcessRunner.RunCheckedAsync("sh", ["-c", mount], cancellationToken);
            try
            {
                return Rootfs.RootfsListing.Capture(target);
            }
            finally
            {
                await ProcessRunner.RunCheckedAsync("umount", [target], cancellationToken);
            }
        }
        finally
        {
            await CtrAsync(["containers", "delete", id], cancellationToken);
        }
    }

    private async Task<ProcessResult> CheckedAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(tool, ["--address", Address, "-n", Namespace, .. arguments], cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{result.Command}` exited with {result.ExitCode}\n--- stdout ---\n{result.StandardOutput}\n--- stderr ---\n{result.StandardError}\n{Describe()}");
        }
        return result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Shims are daemonized away from containerd: find them by the address they were given.
        _ = KillShims();
        await RemoveRuncStateAsync();
        await _process.DisposeAsync();
        // A killed shim makes containerd start another (`containerd-shim-runc-v2 ... delete`, its dead-shim cleanup),
        // which may outlive containerd: killed too, and waited for, so nothing serving this address is left.
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10); KillShims() > 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(50);
        }
        MountTable.UnmountUnder(_directory);
        if (_ownedDirectory is not null)
        {
            await _ownedDirectory.DisposeAsync();
        }
    }

    /// <summary>Sends SIGKILL to every shim started for this containerd; returns how many were still there.</summary>
    private int KillShims()
    {
        var found = 0;
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid))
            {
                continue;
            }
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (argv.Length > 0 && argv[0].Contains("containerd-shim", StringComparison.Ordinal) && argv.Contains(Address))
            {
                LibC.Kill(pid, LibC.SigKill);
                found++;
            }
        }
        return found;
    }

    private async Task RemoveRuncStateAsync()
    {
        // The runc shim keeps its state in <runc root>/<namespace>/<container id>.
        var root = Path.Combine(RuncRoot, Namespace);
        if (!Directory.Exists(root))
        {
            return;
        }
        foreach (var container in Directory.EnumerateDirectories(root))
        {
            await ProcessRunner.RunAsync("runc", ["--root", root, "delete", "--force", Path.GetFileName(container)], CancellationToken.None);
        }
    }
}
