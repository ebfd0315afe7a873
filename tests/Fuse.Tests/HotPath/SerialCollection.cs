namespace PluggableSnapshotter.Fuse.Tests.HotPath;

/// <summary>Tests that measure process-wide counters run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
