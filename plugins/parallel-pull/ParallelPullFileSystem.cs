using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The parallel-pull backend (SOCI's parallel pull and unpack mode): the first Prepare of an image starts fetching and
/// unpacking all its layers at once; each Prepare takes its own layer when it is ready. Serves the
/// <see cref="BackendCapabilities.Parallel"/> role only (the SDK answers the other roles' operations).
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
    public Task CleanImageAsync(string imageKey, CancellationToken cancellationToken) => jobs.CleanImageAsync(imageKey);
}
