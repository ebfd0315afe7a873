using System.Text.Json;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Processes;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>
/// One node of a lazy backend's end-to-end test: our daemon with the caller's plugins.yaml (a chain with the lazy
/// <see cref="Backend"/>) and a private containerd that knows it as <see cref="Snapshotter"/> beside its own overlayfs.
/// </summary>
public sealed class LazyNode : IAsyncDisposable
{
    public const string Snapshotter = "pluggable";

    private LazyNode(string backend, SnapshotterDaemon daemon, ContainerdFixture containerd) => (Backend, Daemon, Containerd) = (backend, daemon, containerd);

    /// <summary>The lazy plugin whose store and status the node reads (its name in plugins.yaml).</summary>
    public string Backend { get; }
    public SnapshotterDaemon Daemon { get; }
    public ContainerdFixture Containerd { get; }

    /// <summary>Starts the daemon with <paramref name="pluginsYaml"/> and a containerd that uses it.</summary>
    public static async Task<LazyNode> StartAsync(string workDirectory, string backend, string pluginsYaml, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(workDirectory);
        var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions { WorkDirectory = workDirectory, PluginsYaml = pluginsYaml }, ct);
        try
        {
            var containerd = await ContainerdFixture.StartAsync(new ContainerdOptions
            {
                WorkDirectory = workDirectory,
                ProxySnapshotters = new Dictionary<string, string> { [Snapshotter] = daemon.Socket },
            }, ct);
            var node = new LazyNode(backend, daemon, containerd);
            await node.WaitForProxyAsync(ct);
            return node;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until containerd talks to the daemon (its first handshake with a fresh daemon may time out and back off).</summary>
    public Task WaitForProxyAsync(CancellationToken ct) => Containerd.WaitForSnapshotterAsync(Snapshotter, ct);

    /// <summary>The labels of every committed snapshot of our snapshotter, by name.</summary>
    public async Task<Dictionary<string, Dictionary<string, string>>> CommittedLabelsAsync(CancellationToken ct)
    {
        var list = await Containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 2 || columns[^1] != "Committed") continue; // KEY [PARENT] KIND: a base layer has no parent
            var info = await Containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "info", columns[0]], ct);
            using var json = JsonDocument.Parse(info.StandardOutput);
            var labels = json.RootElement.TryGetProperty("Labels", out var element) && element.ValueKind == JsonValueKind.Object
                ? element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            result[columns[0]] = labels;
        }
        return result;
    }

    /// <summary>The backend plugin's <c>status.json</c> (null until the plugin writes it): state per layer digest.</summary>
    public IReadOnlyDictionary<string, string>? StoreStatus() => StoreStatusFile.Read(Path.Combine(Daemon.Root, "plugins", Backend, "status.json"));

    /// <summary>Waits (bounded) until the store holds every one of <paramref name="layers"/> locally.</summary>
    public async Task WaitForLocalAsync(IEnumerable<string> layers, CancellationToken ct)
    {
        var wanted = layers.ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (StoreStatus() is not { } status || !wanted.All(l => status.GetValueOrDefault(l) == "local"))
        {
            if (DateTime.UtcNow > deadline || StoreStatus()?.Values.Contains("failed") == true)
                throw new TimeoutException($"layers not local: {string.Join(", ", StoreStatus() ?? new Dictionary<string, string>())}\n{Describe()}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>The store's folder under the daemon's root.</summary>
    public string StoreDirectory => Path.Combine(Daemon.Root, "plugins", Backend, "store");

    /// <summary>The live FUSE mounts of <paramref name="backend"/> (soci, estargz) under the daemon's root.</summary>
    public IReadOnlyList<string> FuseMounts(string backend) =>
        [.. MountTable.Read()
            .Where(m => m.FileSystemType == "fuse.pluggable-" + backend && m.MountPoint.StartsWith(Daemon.Root, StringComparison.Ordinal))
            .Select(m => m.MountPoint)];

    /// <summary>
    /// Lists the root filesystem of the one image unpacked in <paramref name="snapshotter"/>: a view of its top snapshot, mounted
    /// here as the snapshotter returns it. (<c>ctr images mount</c> is not used: containerd 1.6's ctr unpacks through its
    /// default snapshotter there, which cannot apply lazily pulled layers whose blobs it never fetched.)
    /// </summary>
    public async Task<IReadOnlyList<RootfsEntry>> ListRootfsAsync(string snapshotter, CancellationToken ct)
    {
        // A view holds no lease: containerd's garbage collection, which an image's creation sets off, may remove it
        // before it is mounted (right after a pull). Such a view is gone by the time we ask again; make another.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ListRootfsOnceAsync(snapshotter, ct);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await Task.Delay(500, ct);
            }
        }
    }

    private async Task<IReadOnlyList<RootfsEntry>> ListRootfsOnceAsync(string snapshotter, CancellationToken ct)
    {
        var top = await TopSnapshotAsync(snapshotter, ct);
        var key = "listing-" + Guid.NewGuid().ToString("N")[..8];
        var view = await Containerd.CtrAsync(["snapshots", "--snapshotter", snapshotter, "view", "--mounts", key, top], ct);
        var target = System.IO.Directory.CreateDirectory(Path.Combine(Daemon.Root, "..", key)).FullName;
        try
        {
            await PrintedMount.Parse(view.StandardOutput).MountAtAsync(target, ct);
            try
            {
                return RootfsListing.Capture(target);
            }
            finally
            {
                (await ProcessRunner.RunAsync("umount", [target], ct)).EnsureSuccess();
            }
        }
        finally
        {
            await Containerd.TryCtrAsync(["snapshots", "--snapshotter", snapshotter, "rm", key], ct); // gone already if collected
        }
    }

    /// <summary>The committed snapshot no other committed snapshot has as parent (one image unpacked: its top layer).</summary>
    private async Task<string> TopSnapshotAsync(string snapshotter, CancellationToken ct)
    {
        var list = await Containerd.CtrAsync(["snapshots", "--snapshotter", snapshotter, "ls"], ct);
        var rows = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 2 && columns[^1] == "Committed")
            .Select(columns => (Name: columns[0], Parent: columns.Length == 3 ? columns[1] : null)).ToList();
        return rows.Single(row => !rows.Any(other => other.Parent == row.Name)).Name;
    }

    public string Describe() => $"{Daemon.Describe()}\n{Containerd.Describe()}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Containerd.DisposeAsync();
        }
        finally
        {
            await Daemon.DisposeAsync();
        }
    }
}
