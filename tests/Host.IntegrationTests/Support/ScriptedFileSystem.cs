using System.Collections.Concurrent;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Support;

/// <summary>
/// A backend whose answers each test scripts. "Mounted" outcomes do real work: the lazy role bind-mounts a directory
/// holding <c>lazy.txt</c> onto the mount point; the local and parallel roles write <c>local.txt</c> / <c>parallel.txt</c> into it.
/// It observes container starts (<see cref="IContainerStartObserver"/>), keeping the keys apart from <see cref="Calls"/>.
/// </summary>
internal sealed class ScriptedFileSystem(string scratch, BackendCapabilities capabilities) : IFileSystem, IContainerStartObserver
{
    public BackendCapabilities Capabilities { get; } = capabilities;

    public Func<LayerRequest, MountResult> Lazy { get; set; } = _ => MountResult.Mounted;

    public Func<LayerRequest, MountResult> Local { get; set; } = _ => MountResult.Mounted;

    public Func<LayerRequest, MountResult> Parallel { get; set; } = _ => MountResult.Mounted;

    /// <summary>Makes a role write a file and then throw, leaving debris for the core to clean.</summary>
    public bool FailAfterWriting { get; set; }

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The keys <see cref="ContainerStarting"/> was told, in order.</summary>
    public ConcurrentQueue<string> ContainersStarting { get; } = new();

    /// <summary>Makes <see cref="ContainerStarting"/> and <see cref="ContainerRemoved"/> throw (after noting the key).</summary>
    public bool ObserverThrows { get; set; }

    public void ContainerStarting(string key)
    {
        ContainersStarting.Enqueue(key);
        if (ObserverThrows) throw new InvalidOperationException("observer failed");
    }

    /// <summary>The keys <see cref="ContainerRemoved"/> was told, in order.</summary>
    public ConcurrentQueue<string> ContainersRemoved { get; } = new();

    public void ContainerRemoved(string key)
    {
        ContainersRemoved.Enqueue(key);
        if (ObserverThrows) throw new InvalidOperationException("observer failed");
    }

    public Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"mount {layer.LayerDigest}");
        var result = Lazy(layer);
        if (result.IsMounted)
        {
            var source = Directory.CreateDirectory(Path.Combine(scratch, "lazy-" + Guid.NewGuid().ToString("N"))).FullName;
            File.WriteAllText(Path.Combine(source, "lazy.txt"), layer.LayerDigest);
            if (LibC.mount(source, layer.Mountpoint, null, 4096 /* MS_BIND */, null) != 0)
            {
                throw new IOException("bind mount failed");
            }
        }
        return Task.FromResult(result);
    }

    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"check {layer.Mountpoint}");
        return Task.CompletedTask;
    }

    public Task UnmountAsync(string mountpoint, CancellationToken cancellationToken)
    {
        Calls.Enqueue("unmount");
        MountTable.UnmountAllUnder(mountpoint);
        return Task.CompletedTask;
    }

    public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Write("local", layer, Local);

    public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Write("parallel", layer, Parallel);

    public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        View("idmap-lazy", mountpoint, activeLayerId);

    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        View("idmap-local", mountpoint, activeLayerId);

    private Task<string> View(string role, string mountpoint, string activeLayerId)
    {
        Calls.Enqueue($"{role} {activeLayerId}");
        var view = Path.Combine(Path.GetDirectoryName(mountpoint)!, "idmap", activeLayerId);
        Directory.CreateDirectory(view);
        return Task.FromResult(view);
    }

    public Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"clean {imageDigest}");
        return Task.CompletedTask;
    }

    private Task<MountResult> Write(string role, LayerRequest layer, Func<LayerRequest, MountResult> script)
    {
        Calls.Enqueue($"{role} {layer.LayerDigest}");
        if (FailAfterWriting)
        {
            File.WriteAllText(Path.Combine(layer.Mountpoint, "partial.txt"), "debris");
            throw new IOException($"{role} failed half way");
        }
        var result = script(layer);
        if (result.IsMounted)
        {
            File.WriteAllText(Path.Combine(layer.Mountpoint, $"{role}.txt"), layer.LayerDigest);
        }
        return Task.FromResult(result);
    }
}
