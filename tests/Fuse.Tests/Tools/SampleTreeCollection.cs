namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>The tool test classes share one mount of the sample tree.</summary>
[CollectionDefinition(Name)]
public sealed class SampleTreeCollection : ICollectionFixture<SampleTreeFixture>
{
    public const string Name = "SampleTree";
}
