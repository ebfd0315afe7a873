namespace PluggableSnapshotter.Host.Plugins;

/// <summary>A chain of loaded backends, tried in order by <see cref="ChainPreparer"/>, with the images it applies to.</summary>
internal sealed class Chain(string name, IReadOnlyList<ChainBackend> backends, IReadOnlyList<ImagePattern> images)
{
    public string Name { get; } = name;

    public IReadOnlyList<ChainBackend> Backends { get; } = backends;

    public IReadOnlyList<ImagePattern> Images { get; } = images;

    /// <summary>The backends that play <paramref name="role"/>, in chain order.</summary>
    public IEnumerable<ChainBackend> Playing(BackendRole role) => Backends.Where(b => b.Plays(role));

    /// <summary>True when some backend of the chain plays <paramref name="role"/>.</summary>
    public bool Has(BackendRole role) => Backends.Any(b => b.Plays(role));

    /// <summary>True when the chain's first backend that unpacks whole layers (parallel or local) is a parallel one.</summary>
    public bool ParallelBeforeLocal =>
        Backends.FirstOrDefault(b => b.Plays(BackendRole.Parallel) || b.Plays(BackendRole.Local))?.Plays(BackendRole.Parallel) == true;
}
