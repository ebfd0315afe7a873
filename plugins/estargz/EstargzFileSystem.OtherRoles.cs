using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>The operations of roles the estargz backend does not declare; the host never calls them.</summary>
internal sealed partial class EstargzFileSystem
{
    /// <summary>Not a local backend (the chain's local backend unpacks layers that are not eStargz).</summary>
    public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromException<MountResult>(new InvalidOperationException("the estargz backend has no local role; MountLocal is not called for it"));

    /// <summary>Not a parallel-pull backend.</summary>
    public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromException<MountResult>(new InvalidOperationException("the estargz backend has no parallel role; MountParallel is not called for it"));

    /// <summary>Not a local backend: it unpacks no layers to copy.</summary>
    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        Task.FromException<string>(new InvalidOperationException("the estargz backend has no local role; IdMapMountLocal is not called for it"));
}
