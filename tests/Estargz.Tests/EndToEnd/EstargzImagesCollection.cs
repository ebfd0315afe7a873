namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>The end-to-end test classes share one <see cref="EstargzImages"/> and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class EstargzImagesCollection : ICollectionFixture<EstargzImages>
{
    public const string Name = "estargz images";
}
