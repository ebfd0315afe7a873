using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>A chain of loaded backends, tried in order, with the images it applies to.</summary>
internal sealed class Chain(string name, IReadOnlyList<(string Name, IFileSystem FileSystem)> backends, IReadOnlyList<ImagePattern> images)
{
    public string Name { get; } = name;

    public IReadOnlyList<(string Name, IFileSystem FileSystem)> Backends { get; } = backends;

    public IReadOnlyList<ImagePattern> Images { get; } = images;

    public BackendCapabilities Capabilities { get; } = backends.Aggregate(BackendCapabilities.None, (all, b) => all | b.FileSystem.Capabilities);

    /// <summary>The backends that play <paramref name="role"/>, in chain order.</summary>
    public IEnumerable<(string Name, IFileSystem FileSystem)> With(BackendCapabilities role) =>
        Backends.Where(b => b.FileSystem.Capabilities.HasFlag(role));

    /// <summary>
    /// SOCI's options, as this chain's composition implies them: a chain without a lazy backend pulls whole images with its
    /// parallel backend (ParallelPullUnpack); one with both falls back to parallel pull for unindexed images.
    /// </summary>
    public SnapshotterOptions EffectiveOptions(SnapshotterOptions global)
    {
        var lazy = Capabilities.HasFlag(BackendCapabilities.Lazy);
        var parallel = Capabilities.HasFlag(BackendCapabilities.Parallel);
        var parallelFirst = parallel && Backends.First(b => b.FileSystem.Capabilities.HasFlag(BackendCapabilities.Parallel) || b.FileSystem.Capabilities.HasFlag(BackendCapabilities.Local))
            .FileSystem.Capabilities.HasFlag(BackendCapabilities.Parallel);
        return global with
        {
            ParallelPullUnpack = global.ParallelPullUnpack || (parallel && !lazy && parallelFirst),
            ParallelPullAsFallback = global.ParallelPullAsFallback || (parallel && lazy),
        };
    }
}
