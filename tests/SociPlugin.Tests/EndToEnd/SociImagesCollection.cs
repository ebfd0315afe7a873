namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>The end-to-end test classes share one <see cref="SociImages"/> and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SociImagesCollection : ICollectionFixture<SociImages>
{
    public const string Name = "soci images";
}
