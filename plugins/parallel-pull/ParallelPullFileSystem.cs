using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The parallel-pull backend (SOCI's parallel pull and unpack mode): the first Prepare of an image starts fetching and
/// unpacking all its layers at once; each Prepare takes its own layer when it is ready. Serves the
/// <see cref="BackendCapabilities.Parallel"/> role only; the host never calls the other roles' operations.
/// </summary>
internal sealed class ParallelPullFileSystem(ImageJobs jobs) : IFileSystem
{
    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Parallel;

    /// <inheritdoc />
    public async Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.DescribesImageLayer) return MountResult.Defer("the Prepare labels name no image reference and layer digest");
        await jobs.ClaimAsync(layer, cancellationToken).ConfigureAwait(false);
        return MountResult.Mounted;
    }

    /// <inheritdoc />
    public Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken) => jobs.CleanImageAsync(imageDigest);

    /// <summary>Not a lazy backend: the host does not call this for a backend without the lazy role.</summary>
    public Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        Task.FromException<MountResult>(RoleNotProvided("lazy", nameof(MountAsync)));

    /// <summary>Not a lazy backend: there are no lazy mounts to check.</summary>
    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        Task.FromException(RoleNotProvided("lazy", nameof(CheckAsync)));

    /// <summary>Not a lazy backend: it mounts nothing to unmount.</summary>
    public Task UnmountAsync(string mountpoint, CancellationToken cancellationToken) =>
        Task.FromException(RoleNotProvided("lazy", nameof(UnmountAsync)));

    /// <summary>Not a local backend: the host does not call this for a backend without the local role.</summary>
    public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromException<MountResult>(RoleNotProvided("local", nameof(MountLocalAsync)));

    /// <summary>Not a lazy backend: no lazy mounts to id-map.</summary>
    public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        Task.FromException<string>(RoleNotProvided("lazy", nameof(IdMapMountAsync)));

    /// <summary>Not a local backend: the host id-maps through a backend with the local role.</summary>
    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        Task.FromException<string>(RoleNotProvided("local", nameof(IdMapMountLocalAsync)));

    private static InvalidOperationException RoleNotProvided(string role, string operation) =>
        new($"the parallel-pull backend does not provide the {role} role ({operation}); it only pulls with MountParallel");
}
