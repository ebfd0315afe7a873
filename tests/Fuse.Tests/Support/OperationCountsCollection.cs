namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// Tests that assert on <see cref="FuseOperationCounts"/> (process-wide, every mount of the process) run alone, so the
/// requests of other tests' mounts do not land in their counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OperationCountsCollection
{
    public const string Name = "OperationCounts";
}
